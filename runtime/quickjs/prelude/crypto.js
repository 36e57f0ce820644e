// crypto: random values and UUIDs from the host's CSPRNG, and the part of
// SubtleCrypto workers use most: digest (SHA-1/256/384/512) and HMAC
// sign/verify, computed in Go.

function algName(alg) {
  const n = typeof alg === "string" ? alg : alg && alg.name;
  if (typeof n !== "string") throw new TypeError("algorithm name required");
  return n.toUpperCase();
}

class CryptoKey {
  #type; #extractable; #algorithm; #usages;
  constructor(token, type, extractable, algorithm, usages, raw) {
    if (token !== signalToken) throw new TypeError("Illegal constructor");
    this.#type = type; this.#extractable = extractable; this.#algorithm = algorithm; this.#usages = usages;
    cryptoKeyBytes.set(this, raw);
  }
  get type() { return this.#type; }
  get extractable() { return this.#extractable; }
  get algorithm() { return this.#algorithm; }
  get usages() { return this.#usages; }
}
const cryptoKeyBytes = new WeakMap();
def("CryptoKey", CryptoKey);

const subtle = {
  async digest(alg, data) {
    return host.digest(algName(alg), exactBuffer(copyBytes(data)));
  },
  async importKey(format, keyData, alg, extractable, usages) {
    if (format !== "raw") throw new DOMException(`key format ${format} is not supported (only raw HMAC keys)`, "NotSupportedError");
    if (algName(alg) !== "HMAC") throw new DOMException(`algorithm ${algName(alg)} is not supported for importKey`, "NotSupportedError");
    const hash = algName(alg.hash);
    const raw = copyBytes(keyData);
    return new CryptoKey(signalToken, "secret", !!extractable, { name: "HMAC", hash: { name: hash }, length: raw.length * 8 }, [...usages], raw);
  },
  async exportKey(format, key) {
    if (format !== "raw" || !key.extractable) throw new DOMException("key is not exportable as raw", "InvalidAccessError");
    return cryptoKeyBytes.get(key).slice().buffer;
  },
  async sign(alg, key, data) {
    if (algName(alg) !== "HMAC" || key.algorithm.name !== "HMAC") throw new DOMException("only HMAC signing is supported", "NotSupportedError");
    if (!key.usages.includes("sign")) throw new DOMException("key does not allow sign", "InvalidAccessError");
    return host.hmac(key.algorithm.hash.name, exactBuffer(cryptoKeyBytes.get(key)), exactBuffer(copyBytes(data)));
  },
  async verify(alg, key, signature, data) {
    if (algName(alg) !== "HMAC" || key.algorithm.name !== "HMAC") throw new DOMException("only HMAC verification is supported", "NotSupportedError");
    if (!key.usages.includes("verify")) throw new DOMException("key does not allow verify", "InvalidAccessError");
    const mac = new Uint8Array(host.hmac(key.algorithm.hash.name, exactBuffer(cryptoKeyBytes.get(key)), exactBuffer(copyBytes(data))));
    const sig = toBytes(signature);
    if (sig.length !== mac.length) return false;
    let diff = 0;
    for (let i = 0; i < mac.length; i++) diff |= mac[i] ^ sig[i];
    return diff === 0;
  },
};

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

const crypto = {
  getRandomValues(arr) {
    if (!INTEGER_ARRAYS.some((C) => arr instanceof C)) {
      throw new DOMException("getRandomValues needs an integer typed array", "TypeMismatchError");
    }
    if (arr.byteLength > 65536) {
      throw new DOMException(`getRandomValues: ${arr.byteLength} bytes requested, at most 65536`, "QuotaExceededError");
    }
    new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).set(new Uint8Array(host.randomBytes(arr.byteLength)));
    return arr;
  },
  randomUUID() {
    const b = new Uint8Array(host.randomBytes(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  },
  subtle,
};
def("crypto", crypto);
