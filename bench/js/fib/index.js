// CPU-bound work per request, the same in every runtime of bench/js/run.sh.
function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
export default {
  fetch() {
    return new Response(`${fib(25)}\n`);
  },
};
