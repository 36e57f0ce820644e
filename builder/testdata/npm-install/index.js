import ms from "ms";

export default {
  fetch() {
    return new Response(String(ms("2 days")));
  },
};
