// Math.random is xoshiro128** seeded by the host at every request (and at
// load), so requests started from one snapshot do not share a sequence.

let rs0 = 1, rs1 = 2, rs2 = 3, rs3 = 4;

// The seed comes as bytes, not as numbers in the request's JSON: parsing a
// number of 2^31 or more costs QuickJS thousands of instructions more than a
// smaller one, which made the fuel of identical requests differ.
function seedRandom() {
  const seed = new Int32Array(host.randomBytes(16));
  rs0 = seed[0] | 0; rs1 = seed[1] | 0; rs2 = seed[2] | 0; rs3 = seed[3] | 0;
  if ((rs0 | rs1 | rs2 | rs3) === 0) rs0 = 1;
}

function nextU32() {
  const m = Math.imul(rs1, 5);
  const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
  const t = rs1 << 9;
  rs2 ^= rs0; rs3 ^= rs1; rs1 ^= rs2; rs0 ^= rs3; rs2 ^= t;
  rs3 = (rs3 << 11) | (rs3 >>> 21);
  return r;
}

Object.defineProperty(Math, "random", {
  value: function random() { return (nextU32() * 2097152 + (nextU32() >>> 11)) / 9007199254740992; },
  writable: true, configurable: true, enumerable: false,
});
