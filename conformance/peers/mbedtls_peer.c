/*
 * mbedtls_peer: a small TLS 1.2 / DTLS 1.2 client and server on the system
 * Mbed TLS 2.28, used by embertls's interop tests as a third peer next to
 * OpenSSL and GnuTLS. conformance/build.rs compiles it; the harness in
 * conformance/tests/common/mbedtls.rs runs it. See usage() for the options.
 *
 * Output contract (what the tests read):
 *   stdout: "listening on PORT" (server, once bound), then one line per
 *           connection: "ok version=... suite=... resumed=no ..."
 *   stderr: "error: <Mbed TLS error text> (-0xNNNN)" on failure, exit 1;
 *           "error: ..." and exit 2 for a bad command line;
 *           Mbed TLS debug output with --debug N.
 */

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/config.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/debug.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/timing.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
/*
 * Only for observe(): 2.28 keeps whether a handshake resumed a session,
 * used extended master secret and which curve ECDHE used in the handshake
 * parameters, which the public API does not expose.
 */
#include <mbedtls/ssl_internal.h>

#define MAX_LIST 32
#define READ_TIMEOUT_MS 10000
#define EXIT_FAILED 1
#define EXIT_USAGE 2

static const char USAGE[] =
    "Usage: mbedtls_peer --role client|server [options]\n"
    "\n"
    "A TLS 1.2 / DTLS 1.2 peer on Mbed TLS " MBEDTLS_VERSION_STRING " for interop tests.\n"
    "\n"
    "Transport:\n"
    "  --role client|server   which side to play (required)\n"
    "  --host HOST            client: address to connect to; server: address to\n"
    "                         listen on (default 127.0.0.1)\n"
    "  --port PORT            port to connect to / listen on; a server given port 0\n"
    "                         picks one (default 4433)\n"
    "  --dtls                 DTLS over UDP (the server checks cookies)\n"
    "  --mtu N                DTLS: largest datagram to send\n"
    "  --accept N             server: connections to serve before exiting (default 1;\n"
    "                         DTLS cookie exchanges do not count)\n"
    "  --timeout SECS         give up on everything after SECS seconds (default 60);\n"
    "                         each read also times out after 10 s\n"
    "\n"
    "Protocol:\n"
    "  --min-version 1.2      lowest version; only 1.2 is accepted\n"
    "  --max-version 1.2      highest version; only 1.2 is accepted\n"
    "  --ciphersuite NAMES    Mbed TLS suite names, comma-separated, repeatable, in\n"
    "                         preference order (TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256)\n"
    "  --curves LIST          ECDHE curves, comma-separated (secp256r1,x25519)\n"
    "  --etm on|off           encrypt-then-MAC (default on)\n"
    "  --ems on|off           extended master secret (default on)\n"
    "  --mfl 512|1024|2048|4096\n"
    "                         client: ask for this max_fragment_length\n"
    "  --alpn LIST            ALPN protocols, comma-separated, preferred first\n"
    "\n"
    "Authentication:\n"
    "  --ca FILE              PEM trust anchors for the peer's certificate\n"
    "  --cert FILE --key FILE our PEM certificate chain and private key\n"
    "  --auth none|optional|required\n"
    "                         verification of the peer's certificate (default:\n"
    "                         client: required with --ca, none without; server: none)\n"
    "  --server-name NAME     client: SNI and the name the certificate must match\n"
    "  --psk HEX              pre-shared key\n"
    "  --psk-identity ID      its identity (a server accepts only this identity)\n"
    "\n"
    "Session and renegotiation:\n"
    "  --tickets              server: issue session tickets (a client always takes them;\n"
    "                         a server also keeps a session-ID cache)\n"
    "  --reconnect            client: after the first connection, connect again offering\n"
    "                         its session; the second summary tells resumed=yes|no\n"
    "  --renegotiate          after the handshake, start one renegotiation (a server\n"
    "                         sends HelloRequest and waits for it to finish)\n"
    "  --allow-renegotiation  accept a renegotiation the peer starts\n"
    "\n"
    "Data:\n"
    "  --message TEXT         client: send TEXT after the handshake and require it\n"
    "                         echoed back. A server always echoes the first data it\n"
    "                         reads, then closes with close_notify.\n"
    "\n"
    "Diagnostics:\n"
    "  --debug N              Mbed TLS debug level 0-4, to stderr\n"
    "  -h, --help             this text\n"
    "\n"
    "After each connection one line goes to standard output:\n"
    "  ok version=TLSv1.2 suite=TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256 suite-id=0xC02B\n"
    "     group=secp256r1 alpn=- verify=ok resumed=no renegotiated=no ems=yes etm=no mfl=-\n"
    "(group is the ECDHE curve, '-' for other key exchanges and resumptions; verify is\n"
    "'ok', '-' or a comma list such as 'not-trusted,name-mismatch' or 'skipped').\n"
    "Errors print 'error: <Mbed TLS error> (-0xNNNN)' to standard error and exit 1;\n"
    "a bad command line exits 2.\n";

enum role { ROLE_NONE, ROLE_CLIENT, ROLE_SERVER };

struct options {
    enum role role;
    const char *host;
    const char *port;
    int dtls;
    unsigned mtu;
    unsigned accept;
    unsigned timeout;
    int suites[MAX_LIST + 1];
    size_t n_suites;
    mbedtls_ecp_group_id curves[MAX_LIST + 1];
    size_t n_curves;
    const char *ca;
    const char *cert;
    const char *key;
    int auth; /* -1: default */
    const char *server_name;
    unsigned char psk[MBEDTLS_PSK_MAX_LEN];
    size_t psk_len;
    const char *psk_identity;
    int tickets;
    int reconnect;
    int renegotiate;
    int allow_renegotiation;
    int etm;
    int ems;
    unsigned char mfl;
    char alpn_buf[256];
    const char *alpn[MAX_LIST + 1];
    const char *message;
    int debug;
};

/* Facts about the last handshake, read while it runs (see observe()). */
struct observed {
    int resumed;
    int ems;
    mbedtls_ecp_group_id group;
};

struct peer {
    struct options opt;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;
    mbedtls_ssl_ticket_context ticket;
    mbedtls_ssl_cache_context cache;
    mbedtls_ssl_cookie_ctx cookie;
    mbedtls_timing_delay_context timer;
    mbedtls_net_context listen_fd;
    mbedtls_net_context fd;
    mbedtls_ssl_session saved;
    int have_saved;
    struct observed seen;
    int we_renegotiated;
};

/* ---- reporting -------------------------------------------------------- */

static int report_mbedtls(const char *what, int ret)
{
    char text[200];
    mbedtls_strerror(ret, text, sizeof text);
    fprintf(stderr, "error: %s: %s (-0x%04X)\n", what, text, (unsigned) -ret);
    return EXIT_FAILED;
}

static int report(const char *fmt, ...)
{
    va_list ap;
    fputs("error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_FAILED;
}

static void usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(mbedtls_peer --help lists the options)\n", stderr);
    exit(EXIT_USAGE);
}

static void on_alarm(int sig)
{
    static const char msg[] = "error: timed out (--timeout)\n";
    (void) sig;
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
        /* Nothing more to do: we are leaving anyway. */
    }
    _exit(EXIT_FAILED);
}

static void debug_to_stderr(void *ctx, int level, const char *file, int line, const char *msg)
{
    (void) ctx;
    fprintf(stderr, "mbedtls[%d] %s:%d: %s", level, file, line, msg);
    fflush(stderr);
}

/* ---- command line ----------------------------------------------------- */

/* Calls each(item) for every comma-separated, non-empty item of list. */
static void for_each_item(const char *list, void (*each)(struct options *, const char *),
                          struct options *opt)
{
    char item[128];
    const char *p = list;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        if (len >= sizeof item) {
            usage_error("list item too long in '%s'", list);
        }
        if (len > 0) {
            memcpy(item, p, len);
            item[len] = '\0';
            each(opt, item);
        }
        p += len;
        if (*p == ',') {
            p++;
        }
    }
}

static void add_suite(struct options *opt, const char *name)
{
    int id = mbedtls_ssl_get_ciphersuite_id(name);
    if (id == 0) {
        usage_error("unknown cipher suite '%s' (use Mbed TLS names such as "
                    "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256)", name);
    }
    if (opt->n_suites == MAX_LIST) {
        usage_error("too many cipher suites");
    }
    opt->suites[opt->n_suites++] = id;
    opt->suites[opt->n_suites] = 0;
}

static void add_curve(struct options *opt, const char *name)
{
    const mbedtls_ecp_curve_info *info = mbedtls_ecp_curve_info_from_name(name);
    if (info == NULL) {
        usage_error("unknown curve '%s'", name);
    }
    if (opt->n_curves == MAX_LIST) {
        usage_error("too many curves");
    }
    opt->curves[opt->n_curves++] = info->grp_id;
    opt->curves[opt->n_curves] = MBEDTLS_ECP_DP_NONE;
}

static unsigned parse_number(const char *option, const char *text, unsigned max)
{
    char *end;
    unsigned long n;
    errno = 0;
    n = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || n > max) {
        usage_error("%s: bad number '%s'", option, text);
    }
    return (unsigned) n;
}

static int parse_on_off(const char *option, const char *text)
{
    if (strcmp(text, "on") == 0) {
        return 1;
    }
    if (strcmp(text, "off") == 0) {
        return 0;
    }
    usage_error("%s takes on or off, not '%s'", option, text);
    return 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static void parse_psk(struct options *opt, const char *hex)
{
    size_t len = strlen(hex);
    size_t i;
    if (len == 0 || len % 2 != 0 || len / 2 > sizeof opt->psk) {
        usage_error("--psk: need an even number of hex digits, at most %u bytes",
                    (unsigned) sizeof opt->psk);
    }
    for (i = 0; i < len / 2; i++) {
        int hi = hex_digit(hex[2 * i]);
        int lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            usage_error("--psk: '%s' is not hex", hex);
        }
        opt->psk[i] = (unsigned char) (hi << 4 | lo);
    }
    opt->psk_len = len / 2;
}

static void parse_alpn(struct options *opt, const char *list)
{
    size_t n = 0;
    char *p;
    if (strlen(list) >= sizeof opt->alpn_buf) {
        usage_error("--alpn: list too long");
    }
    strcpy(opt->alpn_buf, list);
    for (p = strtok(opt->alpn_buf, ","); p != NULL; p = strtok(NULL, ",")) {
        if (n == MAX_LIST) {
            usage_error("--alpn: too many protocols");
        }
        opt->alpn[n++] = p;
    }
    opt->alpn[n] = NULL;
}

static void check_version(const char *option, const char *text)
{
    if (strcmp(text, "1.2") != 0) {
        usage_error("%s %s: this peer speaks (D)TLS 1.2 only", option, text);
    }
}

enum {
    OPT_ROLE = 256, OPT_HOST, OPT_PORT, OPT_DTLS, OPT_MTU, OPT_ACCEPT, OPT_TIMEOUT,
    OPT_MIN_VERSION, OPT_MAX_VERSION, OPT_CIPHERSUITE, OPT_CURVES, OPT_CA, OPT_CERT,
    OPT_KEY, OPT_AUTH, OPT_SERVER_NAME, OPT_PSK, OPT_PSK_IDENTITY, OPT_TICKETS,
    OPT_RECONNECT, OPT_RENEGOTIATE, OPT_ALLOW_RENEGOTIATION, OPT_ETM, OPT_EMS, OPT_MFL,
    OPT_ALPN, OPT_MESSAGE, OPT_DEBUG
};

static const struct option LONG_OPTIONS[] = {
    { "role", required_argument, NULL, OPT_ROLE },
    { "host", required_argument, NULL, OPT_HOST },
    { "port", required_argument, NULL, OPT_PORT },
    { "dtls", no_argument, NULL, OPT_DTLS },
    { "mtu", required_argument, NULL, OPT_MTU },
    { "accept", required_argument, NULL, OPT_ACCEPT },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "min-version", required_argument, NULL, OPT_MIN_VERSION },
    { "max-version", required_argument, NULL, OPT_MAX_VERSION },
    { "ciphersuite", required_argument, NULL, OPT_CIPHERSUITE },
    { "curves", required_argument, NULL, OPT_CURVES },
    { "ca", required_argument, NULL, OPT_CA },
    { "cert", required_argument, NULL, OPT_CERT },
    { "key", required_argument, NULL, OPT_KEY },
    { "auth", required_argument, NULL, OPT_AUTH },
    { "server-name", required_argument, NULL, OPT_SERVER_NAME },
    { "psk", required_argument, NULL, OPT_PSK },
    { "psk-identity", required_argument, NULL, OPT_PSK_IDENTITY },
    { "tickets", no_argument, NULL, OPT_TICKETS },
    { "reconnect", no_argument, NULL, OPT_RECONNECT },
    { "renegotiate", no_argument, NULL, OPT_RENEGOTIATE },
    { "allow-renegotiation", no_argument, NULL, OPT_ALLOW_RENEGOTIATION },
    { "etm", required_argument, NULL, OPT_ETM },
    { "ems", required_argument, NULL, OPT_EMS },
    { "mfl", required_argument, NULL, OPT_MFL },
    { "alpn", required_argument, NULL, OPT_ALPN },
    { "message", required_argument, NULL, OPT_MESSAGE },
    { "debug", required_argument, NULL, OPT_DEBUG },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static void parse_args(int argc, char **argv, struct options *opt)
{
    int c;
    memset(opt, 0, sizeof *opt);
    opt->host = "127.0.0.1";
    opt->port = "4433";
    opt->accept = 1;
    opt->timeout = 60;
    opt->auth = -1;
    opt->etm = 1;
    opt->ems = 1;
    opt->mfl = MBEDTLS_SSL_MAX_FRAG_LEN_NONE;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", LONG_OPTIONS, NULL)) != -1) {
        switch (c) {
        case OPT_ROLE:
            if (strcmp(optarg, "client") == 0) {
                opt->role = ROLE_CLIENT;
            } else if (strcmp(optarg, "server") == 0) {
                opt->role = ROLE_SERVER;
            } else {
                usage_error("--role takes client or server, not '%s'", optarg);
            }
            break;
        case OPT_HOST: opt->host = optarg; break;
        case OPT_PORT:
            parse_number("--port", optarg, 65535);
            opt->port = optarg;
            break;
        case OPT_DTLS: opt->dtls = 1; break;
        case OPT_MTU: opt->mtu = parse_number("--mtu", optarg, 65535); break;
        case OPT_ACCEPT: opt->accept = parse_number("--accept", optarg, 1000); break;
        case OPT_TIMEOUT: opt->timeout = parse_number("--timeout", optarg, 86400); break;
        case OPT_MIN_VERSION: check_version("--min-version", optarg); break;
        case OPT_MAX_VERSION: check_version("--max-version", optarg); break;
        case OPT_CIPHERSUITE: for_each_item(optarg, add_suite, opt); break;
        case OPT_CURVES: for_each_item(optarg, add_curve, opt); break;
        case OPT_CA: opt->ca = optarg; break;
        case OPT_CERT: opt->cert = optarg; break;
        case OPT_KEY: opt->key = optarg; break;
        case OPT_AUTH:
            if (strcmp(optarg, "none") == 0) {
                opt->auth = MBEDTLS_SSL_VERIFY_NONE;
            } else if (strcmp(optarg, "optional") == 0) {
                opt->auth = MBEDTLS_SSL_VERIFY_OPTIONAL;
            } else if (strcmp(optarg, "required") == 0) {
                opt->auth = MBEDTLS_SSL_VERIFY_REQUIRED;
            } else {
                usage_error("--auth takes none, optional or required, not '%s'", optarg);
            }
            break;
        case OPT_SERVER_NAME: opt->server_name = optarg; break;
        case OPT_PSK: parse_psk(opt, optarg); break;
        case OPT_PSK_IDENTITY: opt->psk_identity = optarg; break;
        case OPT_TICKETS: opt->tickets = 1; break;
        case OPT_RECONNECT: opt->reconnect = 1; break;
        case OPT_RENEGOTIATE: opt->renegotiate = 1; break;
        case OPT_ALLOW_RENEGOTIATION: opt->allow_renegotiation = 1; break;
        case OPT_ETM: opt->etm = parse_on_off("--etm", optarg); break;
        case OPT_EMS: opt->ems = parse_on_off("--ems", optarg); break;
        case OPT_MFL:
            switch (parse_number("--mfl", optarg, 4096)) {
            case 512: opt->mfl = MBEDTLS_SSL_MAX_FRAG_LEN_512; break;
            case 1024: opt->mfl = MBEDTLS_SSL_MAX_FRAG_LEN_1024; break;
            case 2048: opt->mfl = MBEDTLS_SSL_MAX_FRAG_LEN_2048; break;
            case 4096: opt->mfl = MBEDTLS_SSL_MAX_FRAG_LEN_4096; break;
            default: usage_error("--mfl takes 512, 1024, 2048 or 4096");
            }
            break;
        case OPT_ALPN: parse_alpn(opt, optarg); break;
        case OPT_MESSAGE: opt->message = optarg; break;
        case OPT_DEBUG: opt->debug = (int) parse_number("--debug", optarg, 4); break;
        case 'h':
            fputs(USAGE, stdout);
            exit(0);
        default:
            usage_error("unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        usage_error("unexpected argument '%s'", argv[optind]);
    }
    if (opt->role == ROLE_NONE) {
        usage_error("--role client|server is required");
    }
    if ((opt->cert == NULL) != (opt->key == NULL)) {
        usage_error("--cert and --key go together");
    }
    if ((opt->psk_len == 0) != (opt->psk_identity == NULL)) {
        usage_error("--psk and --psk-identity go together");
    }
    if (opt->role == ROLE_SERVER && opt->cert == NULL && opt->psk_len == 0) {
        usage_error("a server needs --cert/--key or --psk/--psk-identity");
    }
    if (opt->role == ROLE_SERVER && (opt->reconnect || opt->message != NULL)) {
        usage_error("--reconnect and --message are client options");
    }
    if (opt->mtu != 0 && !opt->dtls) {
        usage_error("--mtu needs --dtls");
    }
}

/* ---- configuration ---------------------------------------------------- */

/* Server PSK callback: only the configured identity gets the key. */
static int psk_lookup(void *ctx, mbedtls_ssl_context *ssl, const unsigned char *identity,
                      size_t identity_len)
{
    const struct options *opt = ctx;
    if (identity_len != strlen(opt->psk_identity)
        || memcmp(identity, opt->psk_identity, identity_len) != 0) {
        return -1;
    }
    return mbedtls_ssl_set_hs_psk(ssl, opt->psk, opt->psk_len);
}

static int configure(struct peer *p)
{
    struct options *opt = &p->opt;
    int endpoint = opt->role == ROLE_CLIENT ? MBEDTLS_SSL_IS_CLIENT : MBEDTLS_SSL_IS_SERVER;
    int transport = opt->dtls ? MBEDTLS_SSL_TRANSPORT_DATAGRAM : MBEDTLS_SSL_TRANSPORT_STREAM;
    static const char personalization[] = "embertls mbedtls_peer";
    int ret;

    ret = mbedtls_ctr_drbg_seed(&p->drbg, mbedtls_entropy_func, &p->entropy,
                                (const unsigned char *) personalization,
                                sizeof personalization - 1);
    if (ret != 0) {
        return report_mbedtls("seeding the DRBG", ret);
    }
    ret = mbedtls_ssl_config_defaults(&p->conf, endpoint, transport, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        return report_mbedtls("configuration defaults", ret);
    }
    mbedtls_ssl_conf_rng(&p->conf, mbedtls_ctr_drbg_random, &p->drbg);
    mbedtls_ssl_conf_dbg(&p->conf, debug_to_stderr, NULL);
    mbedtls_debug_set_threshold(opt->debug);
    mbedtls_ssl_conf_min_version(&p->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&p->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_read_timeout(&p->conf, READ_TIMEOUT_MS);
    if (opt->dtls) {
        /* Retransmit after 1, 2, 4 s: within the read timeout. */
        mbedtls_ssl_conf_handshake_timeout(&p->conf, 1000, 4000);
    }

    if (opt->n_suites > 0) {
        mbedtls_ssl_conf_ciphersuites(&p->conf, opt->suites);
    }
    if (opt->n_curves > 0) {
        mbedtls_ssl_conf_curves(&p->conf, opt->curves);
    }
    mbedtls_ssl_conf_encrypt_then_mac(&p->conf, opt->etm ? MBEDTLS_SSL_ETM_ENABLED
                                                         : MBEDTLS_SSL_ETM_DISABLED);
    mbedtls_ssl_conf_extended_master_secret(&p->conf, opt->ems ? MBEDTLS_SSL_EXTENDED_MS_ENABLED
                                                               : MBEDTLS_SSL_EXTENDED_MS_DISABLED);
    if (opt->mfl != MBEDTLS_SSL_MAX_FRAG_LEN_NONE) {
        ret = mbedtls_ssl_conf_max_frag_len(&p->conf, opt->mfl);
        if (ret != 0) {
            return report_mbedtls("--mfl", ret);
        }
    }
    if (opt->alpn[0] != NULL) {
        ret = mbedtls_ssl_conf_alpn_protocols(&p->conf, opt->alpn);
        if (ret != 0) {
            return report_mbedtls("--alpn", ret);
        }
    }
    if (opt->renegotiate || opt->allow_renegotiation) {
        mbedtls_ssl_conf_renegotiation(&p->conf, MBEDTLS_SSL_RENEGOTIATION_ENABLED);
    }

    if (opt->ca != NULL) {
        ret = mbedtls_x509_crt_parse_file(&p->ca, opt->ca);
        if (ret != 0) {
            return report_mbedtls(opt->ca, ret);
        }
        mbedtls_ssl_conf_ca_chain(&p->conf, &p->ca, NULL);
    }
    if (opt->auth >= 0) {
        mbedtls_ssl_conf_authmode(&p->conf, opt->auth);
    } else if (opt->role == ROLE_CLIENT) {
        mbedtls_ssl_conf_authmode(&p->conf, opt->ca != NULL ? MBEDTLS_SSL_VERIFY_REQUIRED
                                                            : MBEDTLS_SSL_VERIFY_NONE);
    } else {
        mbedtls_ssl_conf_authmode(&p->conf, MBEDTLS_SSL_VERIFY_NONE);
    }
    if (opt->cert != NULL) {
        ret = mbedtls_x509_crt_parse_file(&p->cert, opt->cert);
        if (ret != 0) {
            return report_mbedtls(opt->cert, ret);
        }
        ret = mbedtls_pk_parse_keyfile(&p->key, opt->key, NULL);
        if (ret != 0) {
            return report_mbedtls(opt->key, ret);
        }
        ret = mbedtls_ssl_conf_own_cert(&p->conf, &p->cert, &p->key);
        if (ret != 0) {
            return report_mbedtls("certificate and key", ret);
        }
    }
    if (opt->psk_len > 0) {
        ret = mbedtls_ssl_conf_psk(&p->conf, opt->psk, opt->psk_len,
                                   (const unsigned char *) opt->psk_identity,
                                   strlen(opt->psk_identity));
        if (ret != 0) {
            return report_mbedtls("--psk", ret);
        }
        if (opt->role == ROLE_SERVER) {
            mbedtls_ssl_conf_psk_cb(&p->conf, psk_lookup, opt);
        }
    }

    if (opt->role == ROLE_SERVER) {
        mbedtls_ssl_conf_session_cache(&p->conf, &p->cache, mbedtls_ssl_cache_get,
                                       mbedtls_ssl_cache_set);
        if (opt->tickets) {
            ret = mbedtls_ssl_ticket_setup(&p->ticket, mbedtls_ctr_drbg_random, &p->drbg,
                                           MBEDTLS_CIPHER_AES_256_GCM, 3600);
            if (ret != 0) {
                return report_mbedtls("ticket key", ret);
            }
            mbedtls_ssl_conf_session_tickets_cb(&p->conf, mbedtls_ssl_ticket_write,
                                                mbedtls_ssl_ticket_parse, &p->ticket);
        }
        if (opt->dtls) {
            ret = mbedtls_ssl_cookie_setup(&p->cookie, mbedtls_ctr_drbg_random, &p->drbg);
            if (ret != 0) {
                return report_mbedtls("cookie key", ret);
            }
            mbedtls_ssl_conf_dtls_cookies(&p->conf, mbedtls_ssl_cookie_write,
                                          mbedtls_ssl_cookie_check, &p->cookie);
        }
    } else {
        mbedtls_ssl_conf_session_tickets(&p->conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
    }

    ret = mbedtls_ssl_setup(&p->ssl, &p->conf);
    if (ret != 0) {
        return report_mbedtls("SSL context", ret);
    }
    if (opt->dtls) {
        mbedtls_ssl_set_timer_cb(&p->ssl, &p->timer, mbedtls_timing_set_delay,
                                 mbedtls_timing_get_delay);
        if (opt->mtu != 0) {
            mbedtls_ssl_set_mtu(&p->ssl, (uint16_t) opt->mtu);
        }
    }
    return 0;
}

/* ---- one connection --------------------------------------------------- */

/*
 * Records what the handshake in progress has decided so far. Called after
 * every handshake step: the handshake parameters are freed by the last one.
 */
static void observe(struct peer *p)
{
    const mbedtls_ssl_handshake_params *hs = p->ssl.handshake;
    if (hs == NULL) {
        return;
    }
    p->seen.resumed = hs->resume;
#if defined(MBEDTLS_SSL_EXTENDED_MASTER_SECRET)
    p->seen.ems = hs->extended_ms == MBEDTLS_SSL_EXTENDED_MS_ENABLED;
#endif
#if defined(MBEDTLS_ECDH_C) && defined(MBEDTLS_ECDH_LEGACY_CONTEXT)
    if (hs->ecdh_ctx.grp.id != MBEDTLS_ECP_DP_NONE) {
        p->seen.group = hs->ecdh_ctx.grp.id;
    }
#endif
}

/* Runs the initial handshake step by step (blocking I/O). */
static int handshake(struct peer *p)
{
    memset(&p->seen, 0, sizeof p->seen);
    p->seen.group = MBEDTLS_ECP_DP_NONE;
    p->we_renegotiated = 0;
    while (p->ssl.state != MBEDTLS_SSL_HANDSHAKE_OVER) {
        int ret = mbedtls_ssl_handshake_step(&p->ssl);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            continue;
        }
        if (ret != 0) {
            return ret;
        }
        observe(p);
    }
    return 0;
}

static void verify_text(uint32_t flags, char *out, size_t size)
{
    static const struct {
        uint32_t flag;
        const char *name;
    } NAMES[] = {
        { MBEDTLS_X509_BADCERT_EXPIRED, "expired" },
        { MBEDTLS_X509_BADCERT_REVOKED, "revoked" },
        { MBEDTLS_X509_BADCERT_CN_MISMATCH, "name-mismatch" },
        { MBEDTLS_X509_BADCERT_NOT_TRUSTED, "not-trusted" },
        { MBEDTLS_X509_BADCERT_MISSING, "missing" },
        { MBEDTLS_X509_BADCERT_SKIP_VERIFY, "skipped" },
        { MBEDTLS_X509_BADCERT_OTHER, "other" },
        { MBEDTLS_X509_BADCERT_FUTURE, "not-yet-valid" },
        { MBEDTLS_X509_BADCERT_KEY_USAGE, "key-usage" },
        { MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, "ext-key-usage" },
        { MBEDTLS_X509_BADCERT_BAD_MD, "bad-hash" },
        { MBEDTLS_X509_BADCERT_BAD_PK, "bad-key-type" },
        { MBEDTLS_X509_BADCERT_BAD_KEY, "bad-key" },
    };
    size_t i, used = 0;
    if (flags == (uint32_t) -1) {
        snprintf(out, size, "-");
        return;
    }
    if (flags == 0) {
        snprintf(out, size, "ok");
        return;
    }
    out[0] = '\0';
    for (i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
        if (flags & NAMES[i].flag) {
            used += (size_t) snprintf(out + used, size - used, "%s%s", used > 0 ? "," : "",
                                      NAMES[i].name);
            flags &= ~NAMES[i].flag;
            if (used >= size) {
                return;
            }
        }
    }
    if (flags != 0) {
        snprintf(out + used, size - used, "%sother", used > 0 ? "," : "");
    }
}

static void print_summary(struct peer *p)
{
    const mbedtls_ssl_session *session = mbedtls_ssl_get_session_pointer(&p->ssl);
    const char *suite = mbedtls_ssl_get_ciphersuite(&p->ssl);
    const char *alpn = mbedtls_ssl_get_alpn_protocol(&p->ssl);
    const mbedtls_ecp_curve_info *curve = mbedtls_ecp_curve_info_from_grp_id(p->seen.group);
    int renegotiated = p->we_renegotiated
                       || p->ssl.renego_status == MBEDTLS_SSL_RENEGOTIATION_DONE;
    char verify[160];
    int etm = 0;
    char mfl[16] = "-";

    verify_text(mbedtls_ssl_get_verify_result(&p->ssl), verify, sizeof verify);
    if (session != NULL) {
#if defined(MBEDTLS_SSL_ENCRYPT_THEN_MAC)
        etm = session->encrypt_then_mac == MBEDTLS_SSL_ETM_ENABLED;
#endif
    }
#if defined(MBEDTLS_SSL_MAX_FRAGMENT_LENGTH)
    {
        /* The session's mfl_code stays 0 on a 2.28 client: ask the record layer. */
        size_t limit = mbedtls_ssl_get_output_max_frag_len(&p->ssl);
        if (limit < MBEDTLS_SSL_OUT_CONTENT_LEN) {
            snprintf(mfl, sizeof mfl, "%u", (unsigned) limit);
        }
    }
#endif
    printf("ok version=%s suite=%s suite-id=0x%04X group=%s alpn=%s verify=%s resumed=%s "
           "renegotiated=%s ems=%s etm=%s mfl=%s\n",
           mbedtls_ssl_get_version(&p->ssl), suite != NULL ? suite : "-",
           suite != NULL ? (unsigned) mbedtls_ssl_get_ciphersuite_id(suite) : 0u,
           curve != NULL ? curve->name : "-", alpn != NULL ? alpn : "-", verify,
           p->seen.resumed ? "yes" : "no", renegotiated ? "yes" : "no",
           p->seen.ems ? "yes" : "no", etm ? "yes" : "no", mfl);
    fflush(stdout);
}

static int write_all(struct peer *p, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        int ret = mbedtls_ssl_write(&p->ssl, buf, len);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            continue;
        }
        if (ret < 0) {
            return report_mbedtls("sending", ret);
        }
        buf += ret;
        len -= (size_t) ret;
    }
    return 0;
}

static int close_notify(struct peer *p)
{
    int ret;
    do {
        ret = mbedtls_ssl_close_notify(&p->ssl);
    } while (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ);
    if (ret != 0) {
        return report_mbedtls("sending close_notify", ret);
    }
    return 0;
}

/* Client: sends the message and reads until all of it has come back. */
static int client_exchange(struct peer *p)
{
    const char *msg = p->opt.message;
    size_t len = strlen(msg);
    size_t got = 0;
    unsigned char *buf;
    int rc;

    if (len == 0) {
        return 0;
    }
    rc = write_all(p, (const unsigned char *) msg, len);
    if (rc != 0) {
        return rc;
    }
    buf = malloc(len);
    if (buf == NULL) {
        return report("out of memory");
    }
    while (got < len) {
        int ret = mbedtls_ssl_read(&p->ssl, buf + got, len - got);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            continue;
        }
        if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            free(buf);
            return report("peer closed after echoing %u of %u bytes", (unsigned) got,
                          (unsigned) len);
        }
        if (ret < 0) {
            free(buf);
            return report_mbedtls("waiting for the echo", ret);
        }
        got += (size_t) ret;
    }
    rc = memcmp(buf, msg, len) == 0 ? 0 : report("the echo differs from the message sent");
    free(buf);
    return rc;
}

/*
 * Server: reads once and echoes what came. With --renegotiate, keeps reading
 * (collecting data) until the renegotiation it asked for has completed.
 */
static int server_echo(struct peer *p)
{
    unsigned char buf[MBEDTLS_SSL_MAX_CONTENT_LEN];
    size_t got = 0;
    for (;;) {
        int waiting_renego = p->opt.renegotiate
                             && p->ssl.renego_status != MBEDTLS_SSL_RENEGOTIATION_DONE;
        int ret;
        if (got > 0 && !waiting_renego) {
            break;
        }
        if (got == sizeof buf) {
            return report("too much data before the renegotiation finished");
        }
        ret = mbedtls_ssl_read(&p->ssl, buf + got, sizeof buf - got);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            continue;
        }
        if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            if (waiting_renego) {
                return report("peer closed before the renegotiation");
            }
            return 0; /* Closed without sending anything: nothing to echo. */
        }
        if (ret < 0) {
            return report_mbedtls("reading", ret);
        }
        got += (size_t) ret;
    }
    return write_all(p, buf, got);
}

/* Client-side renegotiation runs now; server-side it only starts here. */
static int start_renegotiation(struct peer *p)
{
    int ret;
    do {
        ret = mbedtls_ssl_renegotiate(&p->ssl);
    } while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (ret != 0) {
        return report_mbedtls("renegotiation", ret);
    }
    if (p->opt.role == ROLE_CLIENT) {
        p->we_renegotiated = 1;
    }
    return 0;
}

static void set_bio(struct peer *p)
{
    mbedtls_ssl_set_bio(&p->ssl, &p->fd, mbedtls_net_send, mbedtls_net_recv,
                        mbedtls_net_recv_timeout);
}

static int client_connection(struct peer *p, int again)
{
    int proto = p->opt.dtls ? MBEDTLS_NET_PROTO_UDP : MBEDTLS_NET_PROTO_TCP;
    int ret, rc;

    if (again) {
        ret = mbedtls_ssl_session_reset(&p->ssl);
        if (ret != 0) {
            return report_mbedtls("resetting the connection", ret);
        }
        if (p->have_saved) {
            ret = mbedtls_ssl_set_session(&p->ssl, &p->saved);
            if (ret != 0) {
                return report_mbedtls("offering the saved session", ret);
            }
        }
    }
    if (p->opt.server_name != NULL) {
        ret = mbedtls_ssl_set_hostname(&p->ssl, p->opt.server_name);
        if (ret != 0) {
            return report_mbedtls("--server-name", ret);
        }
    }
    ret = mbedtls_net_connect(&p->fd, p->opt.host, p->opt.port, proto);
    if (ret != 0) {
        return report_mbedtls("connecting", ret);
    }
    set_bio(p);
    ret = handshake(p);
    if (ret != 0) {
        rc = report_mbedtls("handshake", ret);
        mbedtls_net_free(&p->fd);
        return rc;
    }
    rc = p->opt.renegotiate ? start_renegotiation(p) : 0;
    if (rc == 0 && p->opt.message != NULL) {
        rc = client_exchange(p);
    }
    if (rc == 0 && p->opt.reconnect && !again) {
        ret = mbedtls_ssl_get_session(&p->ssl, &p->saved);
        if (ret != 0) {
            rc = report_mbedtls("saving the session", ret);
        } else {
            p->have_saved = 1;
        }
    }
    if (rc == 0) {
        rc = close_notify(p);
    }
    if (rc == 0) {
        print_summary(p);
    }
    mbedtls_net_free(&p->fd);
    return rc;
}

static int run_client(struct peer *p)
{
    int rc = client_connection(p, 0);
    if (rc == 0 && p->opt.reconnect) {
        rc = client_connection(p, 1);
    }
    return rc;
}

static int listen_and_announce(struct peer *p)
{
    int proto = p->opt.dtls ? MBEDTLS_NET_PROTO_UDP : MBEDTLS_NET_PROTO_TCP;
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    unsigned port;
    int ret = mbedtls_net_bind(&p->listen_fd, p->opt.host, p->opt.port, proto);
    if (ret != 0) {
        return report_mbedtls("listening", ret);
    }
    if (getsockname(p->listen_fd.fd, (struct sockaddr *) &addr, &len) != 0) {
        return report("getsockname: %s", strerror(errno));
    }
    if (addr.ss_family == AF_INET) {
        port = ntohs(((struct sockaddr_in *) &addr)->sin_port);
    } else {
        port = ntohs(((struct sockaddr_in6 *) &addr)->sin6_port);
    }
    printf("listening on %u\n", port);
    fflush(stdout);
    return 0;
}

static int run_server(struct peer *p)
{
    unsigned served = 0;
    int rc = listen_and_announce(p);
    while (rc == 0 && served < p->opt.accept) {
        unsigned char client_ip[16];
        size_t ip_len = 0;
        int ret = mbedtls_ssl_session_reset(&p->ssl);
        if (ret != 0) {
            return report_mbedtls("resetting the connection", ret);
        }
        ret = mbedtls_net_accept(&p->listen_fd, &p->fd, client_ip, sizeof client_ip, &ip_len);
        if (ret != 0) {
            return report_mbedtls("accepting", ret);
        }
        if (p->opt.dtls) {
            ret = mbedtls_ssl_set_client_transport_id(&p->ssl, client_ip, ip_len);
            if (ret != 0) {
                mbedtls_net_free(&p->fd);
                return report_mbedtls("client transport id", ret);
            }
        }
        set_bio(p);
        ret = handshake(p);
        if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
            /* The client must come back with the cookie. */
            mbedtls_net_free(&p->fd);
            continue;
        }
        if (ret != 0) {
            rc = report_mbedtls("handshake", ret);
        } else {
            rc = p->opt.renegotiate ? start_renegotiation(p) : 0;
            if (rc == 0) {
                rc = server_echo(p);
            }
            if (rc == 0) {
                rc = close_notify(p);
            }
            if (rc == 0) {
                print_summary(p);
            }
        }
        mbedtls_net_free(&p->fd);
        served++;
    }
    return rc;
}

/* ---- main ------------------------------------------------------------- */

static void peer_init(struct peer *p)
{
    mbedtls_entropy_init(&p->entropy);
    mbedtls_ctr_drbg_init(&p->drbg);
    mbedtls_ssl_config_init(&p->conf);
    mbedtls_ssl_init(&p->ssl);
    mbedtls_x509_crt_init(&p->ca);
    mbedtls_x509_crt_init(&p->cert);
    mbedtls_pk_init(&p->key);
    mbedtls_ssl_ticket_init(&p->ticket);
    mbedtls_ssl_cache_init(&p->cache);
    mbedtls_ssl_cookie_init(&p->cookie);
    mbedtls_net_init(&p->listen_fd);
    mbedtls_net_init(&p->fd);
    mbedtls_ssl_session_init(&p->saved);
}

static void peer_free(struct peer *p)
{
    mbedtls_ssl_session_free(&p->saved);
    mbedtls_net_free(&p->fd);
    mbedtls_net_free(&p->listen_fd);
    mbedtls_ssl_cookie_free(&p->cookie);
    mbedtls_ssl_cache_free(&p->cache);
    mbedtls_ssl_ticket_free(&p->ticket);
    mbedtls_pk_free(&p->key);
    mbedtls_x509_crt_free(&p->cert);
    mbedtls_x509_crt_free(&p->ca);
    mbedtls_ssl_free(&p->ssl);
    mbedtls_ssl_config_free(&p->conf);
    mbedtls_ctr_drbg_free(&p->drbg);
    mbedtls_entropy_free(&p->entropy);
}

int main(int argc, char **argv)
{
    static struct peer p;
    int rc;

    parse_args(argc, argv, &p.opt);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    alarm(p.opt.timeout);

    peer_init(&p);
    rc = configure(&p);
    if (rc == 0) {
        rc = p.opt.role == ROLE_CLIENT ? run_client(&p) : run_server(&p);
    }
    peer_free(&p);
    return rc;
}
