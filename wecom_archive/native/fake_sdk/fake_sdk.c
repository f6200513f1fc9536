/*
 * A fake of WeCom's Finance SDK (libWeWorkFinanceSdk_C.so) with the identical C ABI.
 *
 * It serves a corpus directory (see corpus/build.py) named by WECOM_FAKE_SDK_CORPUS, or its
 * <corpid>/ subdirectory when that holds a corp.conf:
 *   corp.conf       corpid=... / secret=...
 *   chatdata.jsonl  one wire record per line, ascending seq, each starting with {"seq":N,
 *   media.idx       <sdkfileid>\t<path relative to the corpus>
 *   faults.conf     fault injection, re-read on every call (see README.md)
 * DecryptData reverses corpus/cipher.py: base64(nonce16 || ChaCha20(key, nonce16)(pt || fnv))
 * Extra exports for tests: FakeSdk_LiveBuffers/LiveSdks/Misuse/Reset.
 *
 * Where the binding can observe it, it behaves as Tencent's x86 library (pyweworkfinance 1.1.0)
 * does offline; native/tests/test_contract.py runs the same suite against both:
 * - without WECOM_FAKE_SDK_CORPUS it is that library without a network: Init accepts any
 *   non-empty corpid and secret (0), GetChatData and GetMediaData fail with 10001;
 * - arguments are checked in the real order, with the real codes: NULL or empty corpid/secret,
 *   NULL SDK, NULL slice, limit 0 or > 1000, NULL or empty sdkfileid, a malformed indexbuf:
 *   10000, before any network; a NULL MediaData is not checked before the network either;
 * - DecryptData: NULL key or message 10000; a message shorter than 13 characters throws
 *   std::out_of_range out of the library, i.e. prints libstdc++'s terminate message and aborts
 *   the process (SIGABRT); then a key that cannot be a key (here: not 32 characters) or a
 *   message whose head cannot be parsed (here: not base64 of at least 20 bytes) is 10008; a
 *   message that does not decrypt with the key 10006 (the real one says 10008 for a made-up
 *   32-character key too: this fake's cipher has no check of the key alone);
 * - accessors of a NULL Slice/MediaData or of an empty one return "" and 0, and
 *   IsMediaDataFinish(NULL) is 1; Free*(NULL) and DestroySdk(NULL) do nothing.
 * What the real one does with a pointer it did not make (writes into it, or crashes), the fake
 * counts as a misuse (FakeSdk_Misuse) and refuses with 10000 instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* What the real accessors return for a missing buffer (a static empty string, never NULL). */
static char g_empty[1];

typedef struct Slice_t { char *buf; int len; } Slice_t;
typedef struct MediaData {
    char *outindexbuf; int out_len; char *data; int data_len; int is_finish;
} MediaData_t;

/* ---- the corpus, indexed once per path and shared by every SDK instance --------------- */

typedef struct { unsigned long long seq; off_t offset; int length; } Record;
typedef struct { char *fileid; char *path; } MediaEntry;

typedef struct Corpus {
    struct Corpus *next;
    char dir[4096];
    char corpid[256], secret[256];
    int chat_fd;
    off_t chat_size; time_t chat_mtime;
    Record *records; size_t n_records;
    MediaEntry *media; size_t n_media;
} Corpus;

typedef struct WeWorkFinanceSdk_t {
    Corpus *corpus;
    int initialised, credentials_ok, corpid_ok, in_use;
} WeWorkFinanceSdk_t;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static Corpus *g_corpora;
static int g_misuse;
static unsigned long g_calls_chat, g_calls_media, g_calls_decrypt;

/* ---- registry of live pointers (detects double free and foreign pointers) ------------- */

typedef struct { void **items; size_t n, cap; } Registry;
static Registry g_slices, g_medias, g_sdks;

static void reg_add(Registry *r, void *p) {
    pthread_mutex_lock(&g_lock);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->items = realloc(r->items, r->cap * sizeof(void *));
    }
    r->items[r->n++] = p;
    pthread_mutex_unlock(&g_lock);
}

/* Remove p; 1 if it was registered, else count a misuse. */
static int reg_remove(Registry *r, void *p) {
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i] == p) {
            r->items[i] = r->items[--r->n];
            pthread_mutex_unlock(&g_lock);
            return 1;
        }
    }
    g_misuse++;
    pthread_mutex_unlock(&g_lock);
    return 0;
}

static int reg_has(Registry *r, void *p) {
    int found = 0;
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < r->n && !found; i++) found = r->items[i] == p;
    pthread_mutex_unlock(&g_lock);
    return found;
}

static void misuse(void) {
    pthread_mutex_lock(&g_lock);
    g_misuse++;
    pthread_mutex_unlock(&g_lock);
}

/* ---- small helpers ------------------------------------------------------------------- */

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        *--end = 0;
    return s;
}

/* Read key=value lines of a small config file into callback; 0 when missing. */
static int read_conf(const char *path, void (*cb)(const char *, const char *, void *), void *ctx) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *s = trim(line);
        char *eq = strchr(s, '=');
        if (!*s || *s == '#' || !eq) continue;
        *eq = 0;
        cb(trim(s), trim(eq + 1), ctx);
    }
    fclose(f);
    return 1;
}

typedef struct {
    long init_error, chat_error, chat_every, media_error, media_every, decrypt_error,
        decrypt_every, ip_untrusted, slow_ms, corrupt_every, truncate_every, chunk_size,
        omit_empty;
    /* DecryptData aborts (as the real one does on a short message) or hangs for good on a
     * message containing this text: a record that crashes only inside the SDK. */
    char decrypt_abort_msg[256], decrypt_hang_msg[256];
} Faults;

static void fault_cb(const char *k, const char *v, void *ctx) {
    Faults *f = ctx;
    long n = strtol(v, NULL, 10);
    if (!strcmp(k, "init_error")) f->init_error = n;
    else if (!strcmp(k, "chatdata_error")) f->chat_error = n;
    else if (!strcmp(k, "chatdata_error_every")) f->chat_every = n;
    else if (!strcmp(k, "media_error")) f->media_error = n;
    else if (!strcmp(k, "media_error_every")) f->media_every = n;
    else if (!strcmp(k, "decrypt_error")) f->decrypt_error = n;
    else if (!strcmp(k, "decrypt_error_every")) f->decrypt_every = n;
    else if (!strcmp(k, "ip_untrusted")) f->ip_untrusted = n;
    else if (!strcmp(k, "slow_ms")) f->slow_ms = n;
    else if (!strcmp(k, "media_corrupt_every")) f->corrupt_every = n;
    else if (!strcmp(k, "media_truncate_every")) f->truncate_every = n;
    else if (!strcmp(k, "chunk_size")) f->chunk_size = n;
    else if (!strcmp(k, "omit_empty_chatdata")) f->omit_empty = n;
    else if (!strcmp(k, "decrypt_abort_msg"))
        snprintf(f->decrypt_abort_msg, sizeof f->decrypt_abort_msg, "%s", v);
    else if (!strcmp(k, "decrypt_hang_msg"))
        snprintf(f->decrypt_hang_msg, sizeof f->decrypt_hang_msg, "%s", v);
}

static Faults load_faults(const char *dir) {
    Faults f = {0};
    f.chat_every = f.media_every = f.decrypt_every = 1;
    f.chunk_size = 512 * 1024;
    char path[4200];
    if (dir) {
        snprintf(path, sizeof path, "%s/faults.conf", dir);
        read_conf(path, fault_cb, &f);
    }
    if (f.chunk_size <= 0) f.chunk_size = 512 * 1024;
    return f;
}

/* Does call number n (1-based) hit a fault configured every `every` calls? */
static int hits(unsigned long n, long every) { return every > 0 && n % (unsigned long)every == 0; }

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

/* The network part of a call: untrusted IP, slowness and timeouts. */
static int network(const Faults *f, int timeout) {
    if (f->ip_untrusted) return 10009;
    if (f->slow_ms > 0) {
        if (timeout > 0 && f->slow_ms > timeout * 1000L) {
            sleep_ms(timeout * 1000L);
            return 10001;
        }
        sleep_ms(f->slow_ms);
    }
    return 0;
}

static unsigned long next_call(unsigned long *counter) {
    pthread_mutex_lock(&g_lock);
    unsigned long n = ++*counter;
    pthread_mutex_unlock(&g_lock);
    return n;
}

/* ---- loading a corpus ---------------------------------------------------------------- */

static void corp_cb(const char *k, const char *v, void *ctx) {
    Corpus *c = ctx;
    if (!strcmp(k, "corpid")) snprintf(c->corpid, sizeof c->corpid, "%s", v);
    else if (!strcmp(k, "secret")) snprintf(c->secret, sizeof c->secret, "%s", v);
}

static int index_chatdata(Corpus *c) {
    char path[4200];
    snprintf(path, sizeof path, "%s/chatdata.jsonl", c->dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    fstat(fd, &st);
    size_t cap = 1024, n = 0;
    Record *records = malloc(cap * sizeof(Record));
    char buf[1 << 16];
    off_t pos = 0, line_start = 0;
    int at_line_start = 1;
    char head[32];
    size_t head_len = 0;
    ssize_t got;
    while ((got = pread(fd, buf, sizeof buf, pos)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            if (at_line_start) { line_start = pos + i; head_len = 0; at_line_start = 0; }
            if (head_len < sizeof head - 1) head[head_len++] = buf[i];
            if (buf[i] == '\n') {
                head[head_len] = 0;
                if (!strncmp(head, "{\"seq\":", 7)) {
                    if (n == cap) records = realloc(records, (cap *= 2) * sizeof(Record));
                    records[n].seq = strtoull(head + 7, NULL, 10);
                    records[n].offset = line_start;
                    records[n].length = (int)(pos + i - line_start);
                    n++;
                }
                at_line_start = 1;
            }
        }
        pos += got;
    }
    c->chat_fd = fd;
    c->chat_size = st.st_size;
    c->chat_mtime = st.st_mtime;
    c->records = records;
    c->n_records = n;
    return 0;
}

static void index_media(Corpus *c) {
    char path[4200];
    snprintf(path, sizeof path, "%s/media.idx", c->dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t cap = 64;
    c->media = malloc(cap * sizeof(MediaEntry));
    char *line = NULL;
    size_t line_cap = 0;
    while (getline(&line, &line_cap, f) > 0) {
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        if (c->n_media == cap) c->media = realloc(c->media, (cap *= 2) * sizeof(MediaEntry));
        c->media[c->n_media].fileid = strdup(line);
        c->media[c->n_media].path = strdup(trim(tab + 1));
        c->n_media++;
    }
    free(line);
    fclose(f);
}

static int same_file(Corpus *c) {
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/chatdata.jsonl", c->dir);
    return stat(path, &st) == 0 && st.st_size == c->chat_size && st.st_mtime == c->chat_mtime;
}

/* The corpus of a directory, indexed on first use (and again when its file changed).
 * Corpora are kept for the life of the process: SDK instances may still point at them. */
static Corpus *corpus_for(const char *dir) {
    pthread_mutex_lock(&g_lock);
    for (Corpus *c = g_corpora; c; c = c->next) {
        if (!strcmp(c->dir, dir) && same_file(c)) {
            pthread_mutex_unlock(&g_lock);
            return c;
        }
    }
    Corpus *c = calloc(1, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    char path[4200];
    snprintf(path, sizeof path, "%s/corp.conf", dir);
    if (!read_conf(path, corp_cb, c) || index_chatdata(c) < 0) {
        free(c);
        pthread_mutex_unlock(&g_lock);
        return NULL;
    }
    index_media(c);
    c->next = g_corpora;
    g_corpora = c;
    pthread_mutex_unlock(&g_lock);
    return c;
}

/* ---- the SDK --------------------------------------------------------------------------- */

EXPORT WeWorkFinanceSdk_t *NewSdk(void) {
    WeWorkFinanceSdk_t *sdk = calloc(1, sizeof *sdk);
    reg_add(&g_sdks, sdk);
    return sdk;
}

EXPORT int Init(WeWorkFinanceSdk_t *sdk, const char *corpid, const char *secret) {
    if (!reg_has(&g_sdks, sdk)) { misuse(); return 10000; }
    sdk->initialised = 0;
    if (!corpid || !*corpid || !secret || !*secret) return 10000;
    const char *root = getenv("WECOM_FAKE_SDK_CORPUS");
    if (!root || !*root) {  /* no corpus: the real SDK without a network */
        sdk->corpus = NULL;
        sdk->initialised = 1;
        return 0;
    }
    char dir[4096], probe[4200];
    snprintf(dir, sizeof dir, "%s/%s", root, corpid);
    snprintf(probe, sizeof probe, "%s/corp.conf", dir);
    if (access(probe, R_OK) != 0) snprintf(dir, sizeof dir, "%s", root);
    Faults f = load_faults(dir);
    if (f.init_error) return (int)f.init_error;
    Corpus *c = corpus_for(dir);
    if (!c) return 10003;
    sdk->corpus = c;
    sdk->corpid_ok = !strcmp(corpid, c->corpid);
    sdk->credentials_ok = sdk->corpid_ok && !strcmp(secret, c->secret);
    sdk->initialised = 1;
    return 0;
}

/* Mark the start/end of a call on an SDK; 0 if the SDK may not be used. */
static int enter(WeWorkFinanceSdk_t *sdk) {
    pthread_mutex_lock(&g_lock);
    int ok = 0;
    for (size_t i = 0; i < g_sdks.n && !ok; i++) ok = g_sdks.items[i] == sdk;
    ok = ok && sdk->initialised;
    if (ok) sdk->in_use++;
    else g_misuse++;
    pthread_mutex_unlock(&g_lock);
    return ok;
}

static void leave(WeWorkFinanceSdk_t *sdk) {
    pthread_mutex_lock(&g_lock);
    sdk->in_use--;
    pthread_mutex_unlock(&g_lock);
}

static void slice_set(Slice_t *s, char *buf, int len) {
    free(s->buf);
    s->buf = buf;
    s->len = len;
}

static int get_chat_data(WeWorkFinanceSdk_t *sdk, unsigned long long seq, unsigned int limit,
                         int timeout, Slice_t *out) {
    Corpus *c = sdk->corpus;
    if (!c) return 10001;
    Faults f = load_faults(c->dir);
    int code = network(&f, timeout);
    if (code) return code;
    if (f.chat_error && hits(next_call(&g_calls_chat), f.chat_every)) return (int)f.chat_error;
    if (!sdk->corpid_ok || !sdk->credentials_ok) {
        const char *answer = !sdk->corpid_ok ? "{\"errcode\":40013,\"errmsg\":\"invalid corpid\"}"
                                             : "{\"errcode\":40001,\"errmsg\":\"invalid secret\"}";
        slice_set(out, strdup(answer), (int)strlen(answer));
        return 0;
    }
    size_t lo = 0, hi = c->n_records;  /* first record with seq > given */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->records[mid].seq <= seq) lo = mid + 1;
        else hi = mid;
    }
    size_t end = lo + limit < c->n_records ? lo + limit : c->n_records;
    static const char head[] = "{\"errcode\":0,\"errmsg\":\"ok\",\"chatdata\":[";
    if (lo == end && f.omit_empty) {
        const char *answer = "{\"errcode\":0,\"errmsg\":\"ok\"}";
        slice_set(out, strdup(answer), (int)strlen(answer));
        return 0;
    }
    size_t size = sizeof head + 3;
    for (size_t i = lo; i < end; i++) size += (size_t)c->records[i].length + 1;
    char *buf = malloc(size), *p = buf;
    memcpy(p, head, sizeof head - 1);
    p += sizeof head - 1;
    for (size_t i = lo; i < end; i++) {
        if (i > lo) *p++ = ',';
        if (pread(c->chat_fd, p, (size_t)c->records[i].length, c->records[i].offset)
            != c->records[i].length) {
            free(buf);
            return 10003;
        }
        p += c->records[i].length;
    }
    *p++ = ']';
    *p++ = '}';
    *p = 0;
    slice_set(out, buf, (int)(p - buf));
    return 0;
}

EXPORT int GetChatData(WeWorkFinanceSdk_t *sdk, unsigned long long seq, unsigned int limit,
                       const char *proxy, const char *passwd, int timeout, Slice_t *chatDatas) {
    (void)proxy; (void)passwd;
    if (!enter(sdk)) return 10000;
    int code = 10000;
    if (limit > 0 && limit <= 1000 && chatDatas && reg_has(&g_slices, chatDatas))
        code = get_chat_data(sdk, seq, limit, timeout, chatDatas);
    else if (chatDatas && !reg_has(&g_slices, chatDatas))
        misuse();
    leave(sdk);
    return code;
}

/* ---- DecryptData: base64 + ChaCha20 (RFC 7539 block, OpenSSL's 16-byte IV) + FNV tag ---- */

static int b64_value(int ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* Strict base64 decode (padding required); returns length or -1. */
static long b64_decode(const char *in, unsigned char **out) {
    size_t n = strlen(in);
    if (n % 4) return -1;
    unsigned char *buf = malloc(n / 4 * 3 + 1);
    size_t len = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++) {
            v[j] = in[i + j] == '=' ? -2 : b64_value((unsigned char)in[i + j]);
            if (v[j] == -1 || (v[j] == -2 && (i + 4 < n || j < 2))) { free(buf); return -1; }
        }
        if (v[2] == -2 && v[3] != -2) { free(buf); return -1; }
        buf[len++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (v[2] >= 0) buf[len++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        if (v[3] >= 0) buf[len++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
    }
    *out = buf;
    return (long)len;
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define ROTL(v, n) ((v) << (n) | (v) >> (32 - (n)))
#define QR(a, b, c, d) \
    a += b; d ^= a; d = ROTL(d, 16); c += d; b ^= c; b = ROTL(b, 12); \
    a += b; d ^= a; d = ROTL(d, 8);  c += d; b ^= c; b = ROTL(b, 7);

static void chacha20_xor(const unsigned char key[32], const unsigned char iv[16],
                         unsigned char *data, size_t len) {
    uint32_t state[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    for (int i = 0; i < 8; i++) state[4 + i] = le32(key + 4 * i);
    for (int i = 0; i < 4; i++) state[12 + i] = le32(iv + 4 * i);
    for (size_t off = 0; off < len; off += 64) {
        uint32_t x[16];
        memcpy(x, state, sizeof x);
        for (int r = 0; r < 10; r++) {
            QR(x[0], x[4], x[8], x[12]) QR(x[1], x[5], x[9], x[13])
            QR(x[2], x[6], x[10], x[14]) QR(x[3], x[7], x[11], x[15])
            QR(x[0], x[5], x[10], x[15]) QR(x[1], x[6], x[11], x[12])
            QR(x[2], x[7], x[8], x[13]) QR(x[3], x[4], x[9], x[14])
        }
        unsigned char block[64];
        for (int i = 0; i < 16; i++) {
            uint32_t v = x[i] + state[i];
            block[4 * i] = (unsigned char)v;
            block[4 * i + 1] = (unsigned char)(v >> 8);
            block[4 * i + 2] = (unsigned char)(v >> 16);
            block[4 * i + 3] = (unsigned char)(v >> 24);
        }
        for (size_t i = 0; i < 64 && off + i < len; i++) data[off + i] ^= block[i];
        state[12]++;
    }
}

static uint32_t fnv1a32(const unsigned char *p, size_t len) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* What libstdc++ prints before abort() when an exception escapes: the real DecryptData takes
 * std::string(encrypt_msg).substr(13, 32) before anything else. */
static void throw_out_of_range(size_t size) {
    char text[256];
    int n = snprintf(text, sizeof text,
                     "terminate called after throwing an instance of 'std::out_of_range'\n"
                     "  what():  basic_string::basic_string: __pos (which is 13) > "
                     "this->size() (which is %zu)\n",
                     size);
    if (n > 0) {
        ssize_t done = write(STDERR_FILENO, text, (size_t)n);
        (void)done;
    }
    abort();
}

EXPORT int DecryptData(const char *encrypt_key, const char *encrypt_msg, Slice_t *msg) {
    if (!encrypt_key || !encrypt_msg) return 10000;
    size_t msg_len = strlen(encrypt_msg);
    if (msg_len < 13) throw_out_of_range(msg_len);
    /* The real one writes into whatever it is given, only on success: a NULL or foreign slice is
     * a misuse here, refused when there is something to write. */
    int slice_ok = msg && reg_has(&g_slices, msg);
    if (!slice_ok) misuse();
    const char *root = getenv("WECOM_FAKE_SDK_CORPUS");
    Faults f = load_faults(root);
    if (f.decrypt_error && hits(next_call(&g_calls_decrypt), f.decrypt_every))
        return (int)f.decrypt_error;
    if (*f.decrypt_abort_msg && strstr(encrypt_msg, f.decrypt_abort_msg)) {
        fputs("terminate called after throwing an instance of 'std::logic_error'\n", stderr);
        abort();
    }
    if (*f.decrypt_hang_msg && strstr(encrypt_msg, f.decrypt_hang_msg))
        for (;;) pause();
    if (strlen(encrypt_key) != 32) return 10008;
    unsigned char *raw;
    long n = b64_decode(encrypt_msg, &raw);
    if (n < 0) return 10008;
    if (n < 20) { free(raw); return 10008; }
    size_t body = (size_t)n - 16;
    chacha20_xor((const unsigned char *)encrypt_key, raw, raw + 16, body);
    size_t plain = body - 4;
    if (fnv1a32(raw + 16, plain) != le32(raw + 16 + plain)) { free(raw); return 10006; }
    if (!slice_ok) { free(raw); return 10000; }
    char *out = malloc(plain + 1);
    memcpy(out, raw + 16, plain);
    out[plain] = 0;
    free(raw);
    slice_set(msg, out, (int)plain);
    return 0;
}

/* ---- media ----------------------------------------------------------------------------- */

static void media_reset(MediaData_t *m) {
    free(m->outindexbuf);
    free(m->data);
    memset(m, 0, sizeof *m);
}

/* The real SDK's check of an indexbuf, before any network: "" or Range:bytes=<start>-<end>. */
static int parse_index(const char *indexbuf, long long *start) {
    long long first = 0, last = 0;
    char tail;
    *start = 0;
    if (!indexbuf || !*indexbuf) return 1;
    if (sscanf(indexbuf, "Range:bytes=%lld-%lld%c", &first, &last, &tail) != 2 || first < 0
        || last < first)
        return 0;
    *start = first;
    return 1;
}

static int get_media(WeWorkFinanceSdk_t *sdk, long long start, const char *fileid, int timeout,
                     MediaData_t *media, int writable) {
    Corpus *c = sdk->corpus;
    if (!c) return 10001;
    Faults f = load_faults(c->dir);
    int code = network(&f, timeout);
    if (code) return code;
    unsigned long call = next_call(&g_calls_media);
    if (f.media_error && hits(call, f.media_every)) return (int)f.media_error;
    if (!sdk->credentials_ok) return 10000;
    const char *rel = NULL;
    for (size_t i = 0; i < c->n_media && !rel; i++)
        if (!strcmp(c->media[i].fileid, fileid)) rel = c->media[i].path;
    if (!rel) return 10005;
    char path[8400];
    snprintf(path, sizeof path, "%s/%s", c->dir, rel);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 10005;
    struct stat st;
    fstat(fd, &st);
    if (start > st.st_size) {
        close(fd);
        return 10000;
    }
    long long stop = start + f.chunk_size < st.st_size ? start + f.chunk_size : st.st_size;
    size_t len = (size_t)(stop - start);
    char *data = malloc(len ? len : 1);
    if (pread(fd, data, len, start) != (ssize_t)len) { close(fd); free(data); return 10003; }
    close(fd);
    if (!writable) { free(data); return 10000; }
    if (len && hits(call, f.corrupt_every)) data[0] ^= (char)0xFF;
    int served = (int)len;
    if (hits(call, f.truncate_every)) served = (int)len / 2;
    char next[96];
    snprintf(next, sizeof next, "Range:bytes=%lld-%lld", stop, stop + f.chunk_size - 1);
    media_reset(media);
    media->data = data;
    media->data_len = served;
    media->outindexbuf = strdup(next);
    media->out_len = (int)strlen(next);
    media->is_finish = stop >= st.st_size;
    return 0;
}

EXPORT int GetMediaData(WeWorkFinanceSdk_t *sdk, const char *indexbuf, const char *sdkFileid,
                        const char *proxy, const char *passwd, int timeout, MediaData_t *media) {
    (void)proxy; (void)passwd;
    if (!enter(sdk)) return 10000;
    /* The real one writes into whatever MediaData it is given, only on success: a NULL or
     * foreign one is a misuse here, refused when there is something to write. */
    int writable = media && reg_has(&g_medias, media);
    if (!writable) misuse();
    int code = 10000;
    long long start;
    if (sdkFileid && *sdkFileid && parse_index(indexbuf, &start))
        code = get_media(sdk, start, sdkFileid, timeout, media, writable);
    leave(sdk);
    return code;
}

EXPORT void DestroySdk(WeWorkFinanceSdk_t *sdk) {
    if (!sdk) return;  /* as the real one: nothing to destroy */
    pthread_mutex_lock(&g_lock);
    int busy = 0, found = 0;
    for (size_t i = 0; i < g_sdks.n && !found; i++) found = g_sdks.items[i] == sdk;
    if (found) busy = sdk->in_use > 0;
    if (!found || busy) {
        g_misuse++;
        pthread_mutex_unlock(&g_lock);
        return;
    }
    pthread_mutex_unlock(&g_lock);
    reg_remove(&g_sdks, sdk);
    free(sdk);
}

/* ---- slices and media buffers ---------------------------------------------------------- */

EXPORT Slice_t *NewSlice(void) {
    Slice_t *s = calloc(1, sizeof *s);
    reg_add(&g_slices, s);
    return s;
}

EXPORT void FreeSlice(Slice_t *s) {
    if (!s || !reg_remove(&g_slices, s)) return;
    free(s->buf);
    free(s);
}

EXPORT char *GetContentFromSlice(Slice_t *s) { return s && s->buf ? s->buf : g_empty; }
EXPORT int GetSliceLen(Slice_t *s) { return s ? s->len : 0; }

EXPORT MediaData_t *NewMediaData(void) {
    MediaData_t *m = calloc(1, sizeof *m);
    reg_add(&g_medias, m);
    return m;
}

EXPORT void FreeMediaData(MediaData_t *m) {
    if (!m || !reg_remove(&g_medias, m)) return;
    media_reset(m);
    free(m);
}

EXPORT char *GetOutIndexBuf(MediaData_t *m) {
    return m && m->outindexbuf ? m->outindexbuf : g_empty;
}
EXPORT char *GetData(MediaData_t *m) { return m && m->data ? m->data : g_empty; }
EXPORT int GetIndexLen(MediaData_t *m) { return m ? m->out_len : 0; }
EXPORT int GetDataLen(MediaData_t *m) { return m ? m->data_len : 0; }
EXPORT int IsMediaDataFinish(MediaData_t *m) { return m ? m->is_finish : 1; }

/* ---- test-only exports ------------------------------------------------------------------ */

EXPORT int FakeSdk_LiveBuffers(void) {
    pthread_mutex_lock(&g_lock);
    int n = (int)(g_slices.n + g_medias.n);
    pthread_mutex_unlock(&g_lock);
    return n;
}

EXPORT int FakeSdk_LiveSdks(void) {
    pthread_mutex_lock(&g_lock);
    int n = (int)g_sdks.n;
    pthread_mutex_unlock(&g_lock);
    return n;
}

EXPORT int FakeSdk_Misuse(void) {
    pthread_mutex_lock(&g_lock);
    int n = g_misuse;
    pthread_mutex_unlock(&g_lock);
    return n;
}

EXPORT void FakeSdk_Reset(void) {
    pthread_mutex_lock(&g_lock);
    g_calls_chat = g_calls_media = g_calls_decrypt = 0;
    g_misuse = 0;
    pthread_mutex_unlock(&g_lock);
}
