/*
 * hello-c: a WASI program in C served by Kiln through the WAGI contract:
 * the request arrives in CGI environment variables and on stdin, the
 * response is CGI headers, a blank line and the body on stdout.
 *
 * Build (Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32):
 *   clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -o main.wasm main.c
 * Deploy:
 *   kiln deploy examples/hello-c --runtime wasi
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    const char *method = getenv("REQUEST_METHOD");
    const char *query = getenv("QUERY_STRING");
    const char *name = "world";
    char buf[128];

    /* ?name=... picks who to greet. */
    if (query && strncmp(query, "name=", 5) == 0 && query[5] != '\0') {
        snprintf(buf, sizeof buf, "%s", query + 5);
        char *amp = strchr(buf, '&');
        if (amp) *amp = '\0';
        name = buf;
    }
    if (method && strcmp(method, "DELETE") == 0) {
        printf("Status: 405 Method Not Allowed\nContent-Type: text/plain\n\nno deleting here\n");
        return 0;
    }
    fprintf(stderr, "greeting %s\n", name);
    printf("Content-Type: text/plain\n\nHello from C, %s!\n", name);
    return 0;
}
