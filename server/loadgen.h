/* blockfuse loadgen: an HTTP/1.1 load generator on libuv for servers that
 * speak blockfuse's /v1 API or the Open Inference Protocol (KServe v2).
 *
 * Modes: closed loop (N connections, each sends its next request when the
 * previous answer arrives) or open loop (a constant or Poisson schedule at
 * rate R; latency runs from each request's *intended* send time, so a server
 * that stalls cannot hide its queueing behind a slowed-down client).
 *
 * The pieces below (histogram, schedule, argument parsing, request building,
 * response parsing) are exposed so that tests can check each on its own. */
#ifndef BLOCKFUSE_SERVER_LOADGEN_H
#define BLOCKFUSE_SERVER_LOADGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Entry point of `blockfuse loadgen ARGS`; argv[0] is "loadgen".
 * Returns the process exit status: 0 ok, 1 run failed or every request
 * failed, 2 bad arguments. */
int loadgen_main(int argc, char **argv);

/* ---- latency histogram -------------------------------------------------
 * Log-linear buckets (HdrHistogram's layout): values below 128 are exact,
 * above that each power of two is split into 64 buckets, so a recorded value
 * is known to within 1/64 (1.6%). Values are microseconds; anything above
 * LOADGEN_HIST_MAX_US lands in the last bucket. Exact min, max and sum are
 * kept beside the buckets. */
#define LOADGEN_HIST_SUB 64
#define LOADGEN_HIST_SHIFTS 34 /* up to 2^40 us, about 12 days */
#define LOADGEN_HIST_BUCKETS (2 * LOADGEN_HIST_SUB + LOADGEN_HIST_SHIFTS * LOADGEN_HIST_SUB)
#define LOADGEN_HIST_MAX_US ((UINT64_C(1) << 40) - 1)

typedef struct {
  uint64_t counts[LOADGEN_HIST_BUCKETS];
  uint64_t total, min, max;
  double sum;
} loadgen_hist;

void loadgen_hist_init(loadgen_hist *h);
void loadgen_hist_record(loadgen_hist *h, uint64_t us);
/* Value at percentile p (0 < p <= 100): the highest value that falls in the
 * bucket holding the ceil(p/100 * total)-th smallest sample, clamped to the
 * exact max. 0 when empty. */
uint64_t loadgen_hist_percentile(const loadgen_hist *h, double p);
double loadgen_hist_mean(const loadgen_hist *h);
/* Adds every sample of f to h (the two runs' samples, as one histogram). */
void loadgen_hist_add(loadgen_hist *h, const loadgen_hist *f);
/* Bucket index of a value, and the value range [lo, hi] of a bucket. */
int loadgen_hist_index(uint64_t us);
void loadgen_hist_bucket_range(int idx, uint64_t *lo, uint64_t *hi);

/* ---- send schedule -------------------------------------------------------
 * Intended send times for the open loop, in ns from the start. Constant rate
 * computes t_k = k / R (no accumulated rounding drift); Poisson draws
 * exponential gaps with mean 1/R from a seeded splitmix64 generator, so a
 * run is reproducible from its seed. */
typedef enum { LOADGEN_ARRIVAL_CONSTANT, LOADGEN_ARRIVAL_POISSON } loadgen_arrival;

typedef struct {
  loadgen_arrival kind;
  double rate;    /* requests per second, > 0 */
  uint64_t rng;   /* splitmix64 state */
  uint64_t k;     /* index of the next send */
  double next_s;  /* intended time of the next send, seconds from start */
  double phase_s; /* constant rate: every send this much later (a thread's share) */
} loadgen_schedule;

void loadgen_schedule_init(loadgen_schedule *s, loadgen_arrival kind, double rate, uint64_t seed);
/* Returns the intended time (ns from start) of the next request and advances. */
uint64_t loadgen_schedule_next(loadgen_schedule *s);

/* ---- configuration -------------------------------------------------------- */
typedef enum {
  LOADGEN_API_V1,        /* POST /v1/models/{m}:classify, raw image body */
  LOADGEN_API_V2_JSON,   /* POST /v2/models/{m}/infer, JSON tensors */
  LOADGEN_API_V2_BINARY, /* same, binary tensor data extension */
} loadgen_api;

typedef enum {
  LOADGEN_TENSOR_BYTES, /* the encoded image files as a BYTES tensor */
  LOADGEN_TENSOR_UINT8, /* random pixels, [batch, H, W, 3] UINT8 */
  LOADGEN_TENSOR_FP32,  /* random pixels 0..255, [batch, H, W, 3] FP32 */
} loadgen_tensor;

#define LOADGEN_MAX_IMAGE_ARGS 64

typedef struct {
  char host[256];
  char port[8];
  char base_path[256]; /* path prefix from the URL, without trailing '/' */
  loadgen_api api;
  loadgen_tensor tensor;
  char model[128];
  char input_name[64];
  const char *image_args[LOADGEN_MAX_IMAGE_ARGS]; /* files or folders (argv) */
  int n_image_args;
  int batch;         /* images per v2 request */
  int height, width; /* random-tensor shape */
  int top_k;         /* 0 = server default */
  int binary_output; /* v2: ask for the outputs as binary data (binary_data_output) */
  int concurrency;   /* closed loop: connections; open loop: max connections */
  int threads;       /* event-loop threads; connections, rate and -n split over them */
  double phase_s;    /* constant open loop: this thread's offset (set per thread) */
  double rate;       /* > 0: open loop at this many requests/s */
  loadgen_arrival arrival;
  double duration_s; /* 0 = unbounded (then requests must be set) */
  uint64_t requests; /* 0 = unbounded (then duration must be set) */
  double warmup_s;   /* excluded from the statistics */
  double timeout_s;  /* per request */
  uint64_t seed;
  const char *json_path; /* summary as JSON; "-" = stdout */
  const char *csv_path;  /* one row per request; "-" = stdout */
  int quiet;             /* no human-readable summary */
} loadgen_config;

/* Parses argv (argv[0] is the subcommand name) into cfg. Returns 0, 1 when
 * --help was asked (usage already written to out), or -EINVAL with a message. */
int loadgen_parse_args(int argc, char **argv, loadgen_config *cfg, FILE *out, char *err,
                       size_t errlen);
void loadgen_usage(FILE *out);

/* ---- requests ------------------------------------------------------------
 * A prepared request: header and body bytes, sent as they are on every use.
 * The payload set holds one request per distinct body (one per image file
 * for /v1 and BYTES, one for random tensors); connections cycle through. */
typedef struct {
  char *head; /* request line + headers, ends in "\r\n\r\n" */
  size_t head_len;
  uint8_t *body;
  size_t body_len;
  int images; /* inferences this request carries */
} loadgen_request;

typedef struct {
  loadgen_request *reqs;
  size_t n;
} loadgen_payloads;

/* Reads the image files (folders: every regular *.jpg, *.jpeg, *.png inside,
 * sorted) and builds the requests the configuration asks for. */
int loadgen_payloads_build(const loadgen_config *cfg, loadgen_payloads *p, char *err,
                           size_t errlen);
void loadgen_payloads_free(loadgen_payloads *p);
/* Builds one request from an in-memory image (or random tensor when img is
 * NULL). Exposed for tests. */
int loadgen_request_build(const loadgen_config *cfg, const uint8_t *img, size_t img_len,
                          loadgen_request *r, char *err, size_t errlen);
void loadgen_request_free(loadgen_request *r);
/* Standard base64 with padding; out must hold 4 * ceil(n / 3) bytes.
 * Returns the length written. */
size_t loadgen_base64(const uint8_t *in, size_t n, char *out);

/* ---- responses -----------------------------------------------------------
 * Incremental HTTP/1.1 response parser: Content-Length and chunked bodies,
 * keep-alive detection. The body itself is skipped, not stored. */
typedef struct {
  int state;
  int status;
  int keep_alive; /* 1 unless "Connection: close" or HTTP/1.0 */
  int chunked;
  int64_t content_len; /* -1 = not given */
  uint64_t remaining;  /* body or chunk bytes left */
  uint64_t body_bytes;
  char line[1024]; /* the header or chunk-size line being assembled */
  size_t line_len;
} loadgen_resp;

void loadgen_resp_init(loadgen_resp *r);
/* Feeds bytes. Returns the number consumed (< len only when the response
 * completed inside the buffer: the rest belongs to the next response), or
 * -EPROTO for a malformed response. loadgen_resp_done() says whether the
 * response is complete. */
long loadgen_resp_feed(loadgen_resp *r, const char *data, size_t len);
int loadgen_resp_done(const loadgen_resp *r);
/* The server closed the connection: completes a response that had no
 * framing (body until close). Returns 1 if the response is now complete. */
int loadgen_resp_eof(loadgen_resp *r);

/* ---- results ---------------------------------------------------------------- */
#define LOADGEN_MAX_STATUS 600

typedef struct {
  loadgen_hist latency; /* successful (2xx) requests, us */
  uint64_t ok, sent, completed;
  uint64_t images_ok;                        /* inferences in 2xx answers */
  uint64_t by_status[LOADGEN_MAX_STATUS];    /* every completed answer by status */
  uint64_t err_connect, err_timeout, err_io; /* no HTTP answer at all */
  uint64_t bytes_in, bytes_out;
  double elapsed_s;    /* measured window */
  uint64_t late_sends; /* open loop: sends more than LOADGEN_LATE_SEND_US late */
  uint64_t max_lag_us; /* open loop: worst send lag behind schedule */
  uint64_t unsent;     /* open loop: fell due but no connection was free by the end */
  /* CPU time of the busiest load-generator thread over the whole run
   * (warm-up included), as a fraction of one core: near 1.0 the client, not
   * the server, may be the limit. */
  double client_cpu;
} loadgen_result;

/* client_cpu at or above this earns a warning in the summary. */
#define LOADGEN_WARN_CLIENT_CPU 0.9

/* Runs the load described by cfg with the prepared payloads; res receives the
 * figures of the measured window (after warm-up). With cfg->threads > 1 each
 * thread runs its own event loop with its share of the connections, of the
 * rate (the sum of independent Poisson streams is a Poisson stream; constant
 * ones are offset by a fraction of a gap) and of -n, and res adds them up. Returns 0, or a negative
 * errno with a message when the run could not start (e.g. bad address).
 * The caller should ignore SIGPIPE (loadgen_main does). */
int loadgen_run(const loadgen_config *cfg, const loadgen_payloads *p, loadgen_result *res,
                FILE *csv, char *err, size_t errlen);

/* ---- open-loop schedule verdict -------------------------------------------
 * A send is late when it leaves more than LOADGEN_LATE_SEND_US after its
 * intended time. Latency always runs from the intended time, so lag never
 * hides in the figures; the question is only whether the client offered the
 * rate it was asked for. It did not when (any of):
 *   UNSENT: a request fell due and never went out (no free connection);
 *   WORST:  the worst lag exceeds LOADGEN_WARN_MAX_LAG_US. A client that
 *           cannot keep up builds a backlog that grows without bound, so a
 *           real shortfall crosses 10 ms quickly, while a lone wake-up delay
 *           of a few ms (one scheduler slice on a busy host) does not change
 *           the offered rate;
 *   OFTEN:  more than 1% of sends were late (the send-lag p99 is above 1 ms:
 *           systematic lateness below 10 ms), judged once there are at least
 *           LOADGEN_WARN_MIN_SENDS sends: below 100, a single late send is
 *           already over 1%, so the fraction says nothing yet. */
#define LOADGEN_LATE_SEND_US 1000
#define LOADGEN_WARN_MAX_LAG_US 10000
#define LOADGEN_WARN_LATE_PERCENT 1
#define LOADGEN_WARN_MIN_SENDS 100

enum { LOADGEN_LAG_UNSENT = 1, LOADGEN_LAG_WORST = 2, LOADGEN_LAG_OFTEN = 4 };

/* Which of the conditions above hold for an open-loop result, as a mask of
 * LOADGEN_LAG_* bits; 0 means the offered rate was sustained. */
int loadgen_schedule_verdict(const loadgen_result *res);

/* Writes the summary: human-readable text or JSON. */
void loadgen_report_text(const loadgen_config *cfg, const loadgen_result *res, FILE *out);
void loadgen_report_json(const loadgen_config *cfg, const loadgen_result *res, FILE *out);

#endif
