/*
 * The district server served natively over TLS (docs/design.md, "The district
 * server": "TLS: served natively with a certificate ...; the client
 * verifies certificates").
 *
 * Each test makes, with the `openssl` command line in its own folder, a CA
 * and a certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1) signed by
 * it, plus a second, unrelated CA; starts `xasync-district serve --tls-cert
 * --tls-key` on a port the OS chooses; and syncs real `xasync` PCs to it.
 * The server is stopped by its PID with SIGTERM and must exit 0.
 */
#include "support.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#define OPENSSL "/usr/bin/openssl"
#define SCOPE_A "hoang-kim"
#define REPORT "report-2024-h1"

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct fx {
    char *dir;
    char *ddb;  /* dir/district.db */
    char *home; /* "HOME=dir" */
    char *ca, *ca2, *cert, *key, *token;
    xt_server sv;
} fx;

static char *cat2(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);

    assert_non_null(s);
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

static void openssl(const fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};
    xt_run r = xt_exec(OPENSSL, argv, NULL, env);

    if (r.status != 0)
        fail_msg("openssl %s %s: exit %d: %s", argv[0], argv[1] ? argv[1] : "", r.status, r.err);
    xt_run_free(&r);
}

/* A self-signed CA: dir/<name>.pem and dir/<name>.key. */
static void make_ca(const fx *f, const char *name, char **pem, char **key)
{
    char file[64], subj[96];

    snprintf(file, sizeof file, "%s.pem", name);
    *pem = xt_path(f->dir, file);
    snprintf(file, sizeof file, "%s.key", name);
    *key = xt_path(f->dir, file);
    snprintf(subj, sizeof subj, "/CN=xasync test %s", name);
    openssl(f, ARGV("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", *key, "-out", *pem, "-days", "2", "-subj", subj, "-addext",
                    "basicConstraints=critical,CA:TRUE", "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign"));
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    const char *const scopes[] = {SCOPE_A, NULL};
    char *cakey, *ca2key, *csr, *ext;
    static const char extensions[] = "subjectAltName=IP:127.0.0.1\n"
                                     "basicConstraints=CA:FALSE\n"
                                     "keyUsage=critical,digitalSignature,keyEncipherment\n"
                                     "extendedKeyUsage=serverAuth\n";

    if (f == NULL)
        return -1;
    if (access(OPENSSL, X_OK) != 0)
        fail_msg(OPENSSL " is missing: these tests make their certificates with the openssl"
                         " command (Debian package `openssl`; ./scripts/test.sh installs it)");
    f->dir = xt_tempdir();
    f->home = cat2("HOME=", f->dir);
    make_ca(f, "ca", &f->ca, &cakey);
    make_ca(f, "ca2", &f->ca2, &ca2key);
    f->cert = xt_path(f->dir, "server.pem");
    f->key = xt_path(f->dir, "server.key");
    csr = xt_path(f->dir, "server.csr");
    ext = xt_path(f->dir, "server.ext");
    xt_write_file(ext, extensions, sizeof extensions - 1);
    openssl(f, ARGV("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", f->key, "-out", csr, "-subj", "/CN=127.0.0.1"));
    openssl(f, ARGV("x509", "-req", "-in", csr, "-CA", f->ca, "-CAkey", cakey, "-set_serial",
                    "4242", "-days", "2", "-extfile", ext, "-out", f->cert));
    free(cakey);
    free(ca2key);
    free(csr);
    free(ext);

    f->ddb = xt_district_setup(f->dir, scopes);
    f->token = xt_path(f->dir, SCOPE_A ".token");
    xt_server_start(&f->sv, f->ddb, ARGV("--tls-cert", f->cert, "--tls-key", f->key));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    int rc = 0;

    if (f->sv.pid > 0) {
        int st = xt_server_stop(&f->sv, SIGTERM);
        if (st != 0) {
            print_error("xasync-district exited %d on SIGTERM (want 0)\n", st);
            rc = -1;
        }
    }
    free(f->ddb);
    free(f->home);
    free(f->ca);
    free(f->ca2);
    free(f->cert);
    free(f->key);
    free(f->token);
    xt_rmdir(f->dir);
    free(f);
    return rc;
}

static xt_run xa(const fx *f, const char *const *argv)
{
    const char *env[] = {f->home, "XASYNC_AUTHOR=Lê Thị Lan", NULL};

    return xt_xasync(argv, NULL, env);
}

static void run_ok_at(xt_run r, const char *what, const char *file, int line)
{
    if (r.status != 0)
        fail_msg("%s:%d: %s: exit %d\nstdout: [%s]\nstderr: [%s]", file, line, what, r.status,
                 r.out, r.err);
    xt_run_free(&r);
}
#define RUN_OK(r, what) run_ok_at((r), (what), __FILE__, __LINE__)

/* A failed `xasync sync`: exit 1, one line on stderr holding `frag`. */
static void sync_fails_at(const fx *f, const char *db, const char *frag, const char *file, int line)
{
    xt_run r = xa(f, ARGV("--db", db, "sync"));
    const char *nl = memchr(r.err, '\n', r.errlen);

    if (r.status != 1 || r.errlen < 9 || memcmp(r.err, "xasync: ", 8) != 0 || nl == NULL ||
        (size_t)(nl - r.err) != r.errlen - 1 || (frag && strstr(r.err, frag) == NULL))
        fail_msg("%s:%d: want `xasync sync` to fail (exit 1, one line with '%s'); got exit %d\n"
                 "stdout: [%s]\nstderr: [%s]",
                 file, line, frag ? frag : "", r.status, r.out, r.err);
    xt_run_free(&r);
}
#define SYNC_FAILS(f, db, frag) sync_fails_at((f), (db), (frag), __FILE__, __LINE__)

static void remote_set(const fx *f, const char *db, const char *scheme, const char *cacert)
{
    char url[96];

    snprintf(url, sizeof url, "%s://127.0.0.1:%d", scheme, f->sv.port);
    if (cacert)
        RUN_OK(xa(f, ARGV("--db", db, "remote", "set", url, "--token-file", f->token, "--cacert",
                          cacert)),
               "xasync remote set");
    else
        RUN_OK(xa(f, ARGV("--db", db, "remote", "set", url, "--token-file", f->token)),
               "xasync remote set");
}

/* A PC of A at dir/pc.db speaking https to the server, trusting `cacert`. */
static char *pc_new(const fx *f, const char *cacert)
{
    char *db = xt_path(f->dir, "pc.db");

    RUN_OK(xa(f, ARGV("--db", db, "init", "--scope", SCOPE_A)), "xasync init");
    remote_set(f, db, "https", cacert);
    return db;
}

/* `xasync-district show A` holds `text`. */
static int district_holds(const fx *f, const char *text)
{
    const char *env[] = {f->home, NULL};
    xt_run r = xt_district(ARGV("--db", f->ddb, "show", SCOPE_A), NULL, env);
    int yes;

    if (r.status != 0)
        fail_msg("xasync-district show: exit %d: %s", r.status, r.err);
    yes = strstr(r.out, text) != NULL;
    xt_run_free(&r);
    return yes;
}

static void assert_alive(fx *f)
{
    int st;

    if (waitpid((pid_t)f->sv.pid, &st, WNOHANG) == (pid_t)f->sv.pid) {
        f->sv.pid = 0;
        fail_msg("xasync-district died (status %d)", st);
    }
}

/* ---------------------------------------------------------------------- */

static void test_tls__sync_with_the_right_ca(void **state)
{
    fx *f = *state;
    char *pc = pc_new(f, f->ca);

    RUN_OK(xa(f, ARGV("--db", pc, "set", REPORT, "title", "Báo cáo sơ kết")), "xasync set");
    RUN_OK(xa(f, ARGV("--db", pc, "set", "ind-4", "est", "636,4")), "xasync set");
    RUN_OK(xa(f, ARGV("--db", pc, "sync")), "xasync sync");
    assert_true(district_holds(f, "Báo cáo sơ kết"));
    assert_true(district_holds(f, "636,4"));
    /* Nothing is left waiting on the PC. */
    xt_run r = xa(f, ARGV("--db", pc, "status", "--json"));
    assert_int_equal(r.status, 0);
    cJSON *st = cJSON_Parse(r.out);
    assert_non_null(st);
    const cJSON *pending = cJSON_GetObjectItemCaseSensitive(st, "pending");
    assert_true(cJSON_IsNumber(pending));
    assert_int_equal(pending->valuedouble, 0);
    cJSON_Delete(st);
    xt_run_free(&r);
    free(pc);
}

static void test_tls__other_ca_refused(void **state)
{
    fx *f = *state;
    char *pc = pc_new(f, f->ca);
    uint64_t before;

    /* First a good sync, so the server knows this PC. */
    RUN_OK(xa(f, ARGV("--db", pc, "set", REPORT, "title", "Báo cáo sơ kết")), "xasync set");
    RUN_OK(xa(f, ARGV("--db", pc, "sync")), "xasync sync");

    /* The same PC now trusts another CA: the server's certificate does not
     * verify, nothing is sent. */
    remote_set(f, pc, "https", f->ca2);
    RUN_OK(xa(f, ARGV("--db", pc, "set", "ind-4", "est", "636,4")), "xasync set");
    before = xt_db_digest(f->ddb);
    SYNC_FAILS(f, pc, "certificate");
    assert_int_equal(xt_db_digest(f->ddb), before);
    assert_false(district_holds(f, "636,4"));
    /* And with the system's CAs only (no --cacert): refused too. */
    remote_set(f, pc, "https", NULL);
    SYNC_FAILS(f, pc, "certificate");
    assert_int_equal(xt_db_digest(f->ddb), before);
    assert_alive(f);

    /* Back to the right CA: the waiting edit goes. */
    remote_set(f, pc, "https", f->ca);
    RUN_OK(xa(f, ARGV("--db", pc, "sync")), "xasync sync");
    assert_true(district_holds(f, "636,4"));
    free(pc);
}

static size_t discard(char *d, size_t size, size_t nmemb, void *ud)
{
    (void)d;
    (void)ud;
    return size * nmemb;
}

static void test_tls__plain_http_fails_cleanly(void **state)
{
    fx *f = *state;
    char *pc = pc_new(f, f->ca);
    char url[96];
    uint64_t before;

    RUN_OK(xa(f, ARGV("--db", pc, "set", REPORT, "title", "Báo cáo sơ kết")), "xasync set");
    remote_set(f, pc, "http", NULL);
    before = xt_db_digest(f->ddb);
    SYNC_FAILS(f, pc, NULL);
    assert_int_equal(xt_db_digest(f->ddb), before);
    assert_false(district_holds(f, "Báo cáo sơ kết"));
    assert_alive(f);

    /* libcurl straight at it: no HTTP answer, and promptly. */
    CURL *c = curl_easy_init();
    long status = 0;
    assert_non_null(c);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/scopes", f->sv.port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (cc == CURLE_OK && status >= 200 && status < 300)
        fail_msg("plain HTTP to the TLS port was answered %ld", status);
    assert_int_not_equal(cc, CURLE_OPERATION_TIMEDOUT);
    assert_alive(f);

    /* The server still speaks TLS to a PC that asks properly. */
    remote_set(f, pc, "https", f->ca);
    RUN_OK(xa(f, ARGV("--db", pc, "sync")), "xasync sync");
    assert_true(district_holds(f, "Báo cáo sơ kết"));
    free(pc);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_tls__sync_with_the_right_ca),
        T(test_tls__other_ca_refused),
        T(test_tls__plain_http_fails_cleanly),
    };
    int rc;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
