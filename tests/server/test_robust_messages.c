/*
 * Messages that send the clerk the right way (issue 11): an http/https
 * mix-up, a bad TLS pair, failures `status` tells apart, a damaged
 * database and the district's given to `xasync`, read-only databases and
 * copies. *
 * The real `xasync-district` on 127.0.0.1, real `xasync` PCs, libcurl; the
 * harness: tests/support/robustfx.h.  Every client is started and stopped
 * by the test, every loop bounded.
 */
#define _GNU_SOURCE
#include "robustfx.h"
#include "xasync/changeset.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

/* ---------------------------------------------------------------------- */
/* Messages that send the clerk the right way                              */

#include "xasync/store.h"
#include "xasync/syncstate.h"

/* A self-signed certificate for 127.0.0.1 and its key, in dir. */
static void make_cert(const xo_fx *f, const char *cert, const char *key)
{
    xt_run r =
        xt_exec("/usr/bin/openssl",
                ARGV("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                     "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                     "-addext", "subjectAltName=IP:127.0.0.1"),
                NULL, NULL);
    if (r.status != 0)
        fail_msg("openssl: %s", r.err);
    xt_run_free(&r);
    (void)f;
}

/* An https:// address on the plain server is not the certificate's fault;
 * an http:// address on a TLS server says to try https://. */
static void test_robust__http_https_mixups_told(void **state)
{
    xo_fx *f = *state;
    char *pa = xo_pc_new(f, "a.db", SCOPE_A), *tok = xt_path(f->dir, SCOPE_A ".token");
    char *cert = xt_path(f->dir, "cert.pem"), *key = xt_path(f->dir, "key.pem"), url[64];
    xt_run r;

    RUN_OK(xo_xa(f, ARGV("--db", pa, "set", "ind-4", "est", "1")), "set");
    snprintf(url, sizeof url, "https://127.0.0.1:%d", f->sv.port);
    RUN_OK(xo_xa(f, ARGV("--db", pa, "remote", "set", url, "--token-file", tok)), "remote set");
    r = xo_xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "does not speak TLS") == NULL || strstr(r.err, "http://") == NULL ||
        strstr(r.err, "không dùng TLS") == NULL || strstr(r.err, "could not be verified"))
        fail_msg("https:// to a plain server: [%s]", r.err);
    xt_run_free(&r);

    /* The same district, now over TLS, and the PC still on http://. */
    make_cert(f, cert, key);
    assert_int_equal(xt_server_stop(&f->sv, SIGTERM), 0);
    xt_server_start(&f->sv, f->ddb, ARGV("--tls-cert", cert, "--tls-key", key));
    snprintf(url, sizeof url, "http://127.0.0.1:%d", f->sv.port);
    RUN_OK(xo_xa(f, ARGV("--db", pa, "remote", "set", url, "--token-file", tok)), "remote set");
    r = xo_xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "https://") == NULL || strstr(r.err, "answered nothing") == NULL ||
        strstr(r.err, "không trả lời") == NULL)
        fail_msg("http:// to a TLS server: [%s]", r.err);
    xt_run_free(&r);
    /* And with https:// and its certificate, it syncs. */
    snprintf(url, sizeof url, "https://127.0.0.1:%d", f->sv.port);
    RUN_OK(xo_xa(f, ARGV("--db", pa, "remote", "set", url, "--token-file", tok, "--cacert", cert)),
           "remote set");
    RUN_OK(xo_xa(f, ARGV("--db", pa, "sync")), "sync over TLS");
    free(pa);
    free(tok);
    free(cert);
    free(key);
}

/* `serve` with a key that is not the certificate's: refused before it
 * says "listening on", with a message naming both files. */
static void test_robust__serve_bad_tls_no_listening(void **state)
{
    xo_fx *f = *state;
    char *cert = xt_path(f->dir, "cert.pem"), *key = xt_path(f->dir, "key.pem");
    char *cert2 = xt_path(f->dir, "cert2.pem"), *key2 = xt_path(f->dir, "key2.pem");
    xt_run r;

    make_cert(f, cert, key);
    make_cert(f, cert2, key2);
    r = xo_district(f, ARGV("--db", f->ddb, "serve", "--listen", "127.0.0.1:0", "--tls-cert", cert,
                            "--tls-key", key2));
    assert_int_equal(r.status, 1);
    if (strstr(r.out, "listening on") != NULL)
        fail_msg("said listening: [%s]", r.out);
    if (strstr(r.err, "cannot be used") == NULL || strstr(r.err, "key2.pem") == NULL ||
        strstr(r.err, "không dùng được") == NULL)
        fail_msg("bad TLS pair: [%s]", r.err);
    xt_run_free(&r);
    xt_write_file(key2, "not a key\n", 10);
    r = xo_district(f, ARGV("--db", f->ddb, "serve", "--listen", "127.0.0.1:0", "--tls-cert", cert,
                            "--tls-key", key2));
    assert_int_equal(r.status, 1);
    assert_null(strstr(r.out, "listening on"));
    assert_non_null(strstr(r.err, "cannot be used"));
    xt_run_free(&r);
    free(cert);
    free(key);
    free(cert2);
    free(key2);
}

/* `status` tells a refusal, a full disk and a lost link apart. */
static void test_robust__status_tells_failures_apart(void **state)
{
    xo_fx *f = *state;
    char *pa = xo_pc_new(f, "a.db", SCOPE_A);
    xt_run r;

    RUN_OK(xo_xa(f, ARGV("--db", pa, "set", "ind-4", "est", "1")), "set");
    /* A refusal: the token revoked. */
    RUN_OK(xo_district(f, ARGV("--db", f->ddb, "token", "revoke", SCOPE_A)), "revoke");
    r = xo_xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    xt_run_free(&r);
    r = xo_xa(f, ARGV("--db", pa, "status"));
    assert_int_equal(r.status, 0);
    if (strstr(r.out, "refuses the sync") == NULL || strstr(r.out, "no connection") ||
        strstr(r.out, "báo huyện") == NULL)
        fail_msg("status after a refusal: [%s]", r.out);
    xt_run_free(&r);
    r = xo_xa(f, ARGV("--db", pa, "status", "--json"));
    assert_non_null(strstr(r.out, "\"failure\":\t\"refused\""));
    xt_run_free(&r);
    /* A lost link: the server gone. */
    assert_int_equal(xt_server_stop(&f->sv, SIGTERM), 0);
    r = xo_xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    xt_run_free(&r);
    r = xo_xa(f, ARGV("--db", pa, "status"));
    if (strstr(r.out, "no connection since") == NULL || strstr(r.out, "refuses"))
        fail_msg("status after a lost link: [%s]", r.out);
    xt_run_free(&r);
    /* A full disk, as the sync records it. */
    xa_store *st = NULL;
    xa_attempt a;
    assert_int_equal(xa_store_open(&st, pa), 0);
    memset(&a, 0, sizeof a);
    a.started = a.ended = (int64_t)time(NULL) * 1000;
    snprintf(a.error, sizeof a.error, "the disk is full while writing the journal");
    assert_int_equal(xa_syncstate_attempt_add(st, &a), 0);
    xa_store_close(st);
    r = xo_xa(f, ARGV("--db", pa, "status"));
    if (strstr(r.out, "disk is full since") == NULL || strstr(r.out, "no connection") ||
        strstr(r.out, "ổ đĩa đầy") == NULL)
        fail_msg("status after a full disk: [%s]", r.out);
    xt_run_free(&r);
    free(pa);
}

/* A database cut short is ours, damaged: not "not an xasync database";
 * `xasync` on the district's database says whose it is, not "invalid
 * scope ''".  Nothing is changed either way. */
static void test_robust__damaged_and_district_db_told(void **state)
{
    xo_fx *f = *state;
    char *pa = xo_pc_new(f, "a.db", SCOPE_A), *cut = xt_path(f->dir, "cut.db");
    size_t n = 0;
    char *bytes;
    xt_run r;

    RUN_OK(xo_xa(f, ARGV("--db", pa, "set", "ind-4", "est", "640")), "set");
    bytes = xt_read_file(pa, &n);
    assert_true(bytes != NULL && n > 8192);
    xt_write_file(cut, bytes, 8192);
    free(bytes);
    uint64_t before = xt_file_digest(cut);
    r = xo_xa(f, ARGV("--db", cut, "show"));
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "damaged or cut short") == NULL || strstr(r.err, "bị hỏng") == NULL ||
        strstr(r.err, "restore it from a backup") == NULL)
        fail_msg("a cut database: [%s]", r.err);
    xt_run_free(&r);
    assert_true(xt_file_digest(cut) == before);

    before = xt_db_digest(f->ddb);
    const char *const *cmds[] = {ARGV("--db", f->ddb, "show"),
                                 ARGV("--db", f->ddb, "set", "ind-4", "est", "1"),
                                 ARGV("--db", f->ddb, "sync")};
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        r = xo_xa(f, cmds[k]);
        assert_int_equal(r.status, 1);
        if (strstr(r.err, "the district server's database") == NULL ||
            strstr(r.err, "xasync-district") == NULL || strstr(r.err, "máy chủ huyện") == NULL ||
            strstr(r.err, "invalid scope"))
            fail_msg("xasync on the district's database: [%s]", r.err);
        xt_run_free(&r);
    }
    assert_true(xt_db_digest(f->ddb) == before);
    free(cut);
    free(pa);
}

/* Run xasync as the unprivileged user 65534 (only a root test can);
 * returns the exit status, stderr in *err (malloc'd). */
static int xa_as_nobody(const xo_fx *f, const char *const *argv, char **err)
{
    char *errf = xt_path(f->dir, "nobody.err");
    const char *args[16];
    size_t n = 0;
    int st;

    args[n++] = XA_BIN;
    for (size_t i = 0; argv[i] && n < 15; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd < 0 || dup2(fd, 2) < 0 || setgroups(0, NULL) != 0 ||
            setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
            _exit(126);
        if (access(XA_BIN, X_OK) != 0)
            _exit(125); /* the program is out of that user's reach here */
        execv(XA_BIN, (char *const *)args);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    *err = xt_read_file(errf, NULL);
    if (*err == NULL)
        *err = strdup("");
    free(errf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A read-only database (a copy on a read-only stick, a file of another
 * user) is told as such, not as "not an xasync database". */
static void test_robust__read_only_db_told(void **state)
{
    xo_fx *f = *state;
    char *pa = xo_pc_new(f, "a.db", SCOPE_A), *err = NULL;

    if (geteuid() != 0)
        xt_skip("a read-only database needs a second user: run the tests as root");
    RUN_OK(xo_xa(f, ARGV("--db", pa, "set", "ind-4", "est", "640")), "set");
    chmod(f->dir, 0755);
    chmod(pa, 0644);
    uint64_t before = xt_file_digest(pa);
    /* Readable, not writable (the folder neither): a write is refused,
     * saying why; a read shows it as it is. */
    int rc = xa_as_nobody(f, ARGV("--db", pa, "set", "ind-4", "est", "641"), &err);
    if (rc == 125) {
        free(err);
        free(pa);
        xt_skip("user 65534 cannot reach the program here (a folder on its path, such as a"
                " chroot's root, is closed to other users)");
    }
    assert_int_equal(rc, 1);
    if (strstr(err, "cannot be written (read-only") == NULL || strstr(err, "chỉ đọc") == NULL ||
        strstr(err, "not an xasync database") || strstr(err, "damaged"))
        fail_msg("a read-only database: [%s]", err);
    free(err);
    rc = xa_as_nobody(f, ARGV("--db", pa, "show"), &err);
    if (rc != 0 || strstr(err, "can only be read") == NULL)
        fail_msg("reading a read-only database: exit %d [%s]", rc, err);
    free(err);
    /* Not even readable. */
    chmod(pa, 0600);
    rc = xa_as_nobody(f, ARGV("--db", pa, "show"), &err);
    assert_int_equal(rc, 1);
    if (strstr(err, "may not be read") == NULL || strstr(err, "not an xasync database"))
        fail_msg("an unreadable database: [%s]", err);
    free(err);
    assert_true(xt_file_digest(pa) == before);
    chmod(f->dir, 0700);
    free(pa);
}

/* A copy on a read-only disk or stick (a read-only bind mount here): it
 * reads, with a note; a write is refused; the file is unchanged. */
static void test_robust__read_only_copy_readable(void **state)
{
    xo_fx *f = *state;
    char *pa = xo_pc_new(f, "a.db", SCOPE_A), *ro = xt_path(f->dir, "stick");
    char *db = NULL;

    RUN_OK(xo_xa(f, ARGV("--db", pa, "set", "ind-4", "est", "640")), "set");
    assert_int_equal(mkdir(ro, 0755), 0);
    if (mount(f->dir, ro, NULL, MS_BIND, NULL) != 0) {
        free(pa);
        free(ro);
        xt_skip("a read-only mount needs root (CAP_SYS_ADMIN) here");
    }
    if (mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
        umount2(ro, MNT_DETACH);
        free(pa);
        free(ro);
        xt_skip("a read-only remount is not allowed here");
    }
    db = xt_path(ro, "a.db");
    uint64_t before = xt_file_digest(pa);
    xt_run get = xo_xa(f, ARGV("--db", db, "get", "ind-4", "est"));
    xt_run have = xo_xa(f, ARGV("--db", db, "have"));
    xt_run set = xo_xa(f, ARGV("--db", db, "set", "ind-4", "est", "641"));
    umount2(ro, MNT_DETACH);

    if (get.status != 0 || strstr(get.out, "640") == NULL ||
        strstr(get.err, "can only be read") == NULL || strstr(get.err, "chỉ đọc được") == NULL)
        fail_msg("get on a read-only copy: exit %d [%s] [%s]", get.status, get.out, get.err);
    assert_int_equal(have.status, 0);
    assert_int_equal(set.status, 1);
    if (strstr(set.err, "cannot be written (read-only") == NULL)
        fail_msg("set on a read-only copy: [%s]", set.err);
    assert_true(xt_file_digest(pa) == before);
    xt_run_free(&get);
    xt_run_free(&have);
    xt_run_free(&set);
    free(db);
    free(pa);
    free(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_robust__http_https_mixups_told, xo_setup, xo_teardown),
        cmocka_unit_test_setup_teardown(test_robust__serve_bad_tls_no_listening, xo_setup,
                                        xo_teardown),
        cmocka_unit_test_setup_teardown(test_robust__status_tells_failures_apart, xo_setup,
                                        xo_teardown),
        cmocka_unit_test_setup_teardown(test_robust__damaged_and_district_db_told, xo_setup,
                                        xo_teardown),
        cmocka_unit_test_setup_teardown(test_robust__read_only_db_told, xo_setup, xo_teardown),
        cmocka_unit_test_setup_teardown(test_robust__read_only_copy_readable, xo_setup,
                                        xo_teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return xt_tests_status(rc);
}
