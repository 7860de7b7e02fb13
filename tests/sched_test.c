/* Scheduler unit tests with a fake backend: batching, preferred sizes,
 * deadlines, queue full, drain/cancel, backend errors, exactly-once answers
 * under concurrent submitters. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "scheduler/sched.h"

#define IMG_BYTES 12
#define CLASSES 5

/* Fake backend: sleeps, logits[i][j] = image[i][0] * 10 + j, remembers batch
 * sizes, fails a batch whose first pixel byte is 0xEE. */
typedef struct {
  int sleep_us;
  int max_seen;
  int runs;
  int sizes[256];
  pthread_mutex_t lock;
  uint8_t *own_input; /* what input_buffer() hands out (direct-gather test) */
  int direct_runs;    /* runs whose images were own_input */
} fake_state;

/* What every fake factory's open() does: hand out ops over self. */
static int bind_fake(model_backend *b, const model_backend_ops *ops, void *self) {
  b->ops = ops;
  b->self = self;
  b->net = NULL;
  return 0;
}

static int fake_create(const model_net *net, const model_backend_config *cfg, void **self,
                       char *err, size_t errlen) {
  return 0;
}
static void fake_destroy(void *self) {}
static int fake_run(void *self, const uint8_t *images, int n, float *logits, char *err,
                    size_t errlen) {
  fake_state *f = self;
  usleep((useconds_t)f->sleep_us);
  for (int i = 0; i < n; i++) {
    if (images[(size_t)i * IMG_BYTES] == 0xEE) {
      snprintf(err, errlen, "injected failure");
      return -EIO;
    }
    for (int j = 0; j < CLASSES; j++)
      logits[i * CLASSES + j] = images[(size_t)i * IMG_BYTES] * 10.0f + j;
  }
  pthread_mutex_lock(&f->lock);
  if (f->own_input && images == f->own_input) f->direct_runs++;
  if (f->runs < 256) f->sizes[f->runs] = n;
  f->runs++;
  if (n > f->max_seen) f->max_seen = n;
  pthread_mutex_unlock(&f->lock);
  return 0;
}
static int fake_times(void *self, double *s, int n, int *batch) {
  for (int i = 0; i < n; i++) s[i] = 0.001 * (i + 1);
  *batch = 1;
  return 0;
}
static void fake_peaks(void *self, double *f, double *b) {
  *f = 1e12;
  *b = 1e11;
}
static const model_backend_ops fake_ops = {.name = "fake",
                                           .act_bytes = 4,
                                           .w_bytes = 4,
                                           .create = fake_create,
                                           .destroy = fake_destroy,
                                           .run = fake_run,
                                           .block_times = fake_times,
                                           .peaks = fake_peaks};

static int fake_open(void *arg, int ex, model_backend *b, char *err, size_t errlen) {
  return bind_fake(b, &fake_ops, arg);
}
static uint8_t *fake_input_buffer(void *self) {
  return ((fake_state *)self)->own_input;
}
static const model_backend_ops fake_direct_ops = {.name = "fake-direct",
                                                  .act_bytes = 4,
                                                  .w_bytes = 4,
                                                  .create = fake_create,
                                                  .destroy = fake_destroy,
                                                  .run = fake_run,
                                                  .block_times = fake_times,
                                                  .peaks = fake_peaks,
                                                  .input_buffer = fake_input_buffer};
static int fake_direct_open(void *arg, int ex, model_backend *b, char *err, size_t errlen) {
  return bind_fake(b, &fake_direct_ops, arg);
}
static int failing_open(void *arg, int ex, model_backend *b, char *err, size_t errlen) {
  snprintf(err, errlen, "no device %d", ex);
  return -ENODEV;
}

/* Completion bookkeeping shared by all requests of a test. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t cv;
  int done;
  int calls[512];
} tracker;

typedef struct {
  sched_request r;
  tracker *t;
  int id;
  uint8_t img[4 * IMG_BYTES];
  float out[4 * CLASSES];
} job;

static void on_done(sched_request *r) {
  job *j = r->user;
  pthread_mutex_lock(&j->t->lock);
  j->t->calls[j->id]++;
  j->t->done++;
  pthread_cond_broadcast(&j->t->cv);
  pthread_mutex_unlock(&j->t->lock);
}

static void wait_done(tracker *t, int n) {
  pthread_mutex_lock(&t->lock);
  while (t->done < n) pthread_cond_wait(&t->cv, &t->lock);
  pthread_mutex_unlock(&t->lock);
}

static void job_init(job *j, tracker *t, int id, int n, uint8_t pix) {
  memset(j, 0, sizeof *j);
  j->t = t;
  j->id = id;
  for (int i = 0; i < n; i++) memset(j->img + i * IMG_BYTES, (uint8_t)(pix + i), IMG_BYTES);
  j->r.images = j->img;
  j->r.n = n;
  j->r.logits = j->out;
  j->r.done = on_done;
  j->r.user = j;
}

static sched *make(fake_state *f, int executors, int max_batch, int max_queue, int delay_us) {
  sched_config c = {0};
  c.factory.open = fake_open;
  c.factory.arg = f;
  c.executors = executors;
  c.max_batch = max_batch;
  c.max_queue = max_queue;
  c.max_queue_delay_ns = (uint64_t)delay_us * 1000;
  c.image_bytes = IMG_BYTES;
  c.num_classes = CLASSES;
  c.n_blocks = 3;
  sched *s = NULL;
  char err[200];
  assert_int_equal(sched_create(&s, &c, err, sizeof err), 0);
  return s;
}

static void tracker_init(tracker *t) {
  memset(t, 0, sizeof *t);
  pthread_mutex_init(&t->lock, NULL);
  pthread_cond_init(&t->cv, NULL);
}

/* Requests queued within the delay window run as one batch, and each gets
 * its own logits back. */
static void test_batches_form(void **state) {
  fake_state f = {.sleep_us = 1000, .lock = PTHREAD_MUTEX_INITIALIZER};
  sched *s = make(&f, 1, 8, 64, 200000);
  tracker t;
  tracker_init(&t);
  static job jobs[8];
  for (int i = 0; i < 8; i++) {
    job_init(&jobs[i], &t, i, 1, (uint8_t)(i + 1));
    assert_int_equal(sched_submit(s, &jobs[i].r), 0);
  }
  wait_done(&t, 8);
  assert_int_equal(f.runs, 1);
  assert_int_equal(f.max_seen, 8);
  for (int i = 0; i < 8; i++) {
    assert_int_equal(jobs[i].r.status, 0);
    assert_int_equal(jobs[i].r.batch, 8);
    assert_true(jobs[i].out[2] == (i + 1) * 10.0f + 2);
  }
  sched_stats st;
  assert_int_equal(sched_stats_get(s, &st), 0);
  assert_int_equal(st.exec_count, 1);
  assert_int_equal(st.inference_count, 8);
  assert_int_equal(st.batch_count[8], 1);
  sched_stats_free(&st);
  double times[3];
  int b;
  assert_int_equal(sched_device_profile(s, 0, times, 3, &b, NULL, NULL), 0);
  assert_true(times[2] > 0.0029 && times[2] < 0.0031);
  sched_destroy(s);
}

/* A partial batch waits at most max_queue_delay, then runs anyway. */
static void test_partial_batch_delay(void **state) {
  fake_state f = {.lock = PTHREAD_MUTEX_INITIALIZER};
  sched *s = make(&f, 1, 8, 64, 50000);
  tracker t;
  tracker_init(&t);
  job j;
  job_init(&j, &t, 0, 3, 7);
  uint64_t t0 = sched_now_ns();
  assert_int_equal(sched_submit(s, &j.r), 0);
  wait_done(&t, 1);
  uint64_t dt = sched_now_ns() - t0;
  assert_true(dt >= 50000000ull);
  assert_true(dt < 2000000000ull);
  assert_int_equal(j.r.batch, 3);
  assert_true(j.out[CLASSES * 2 + 1] == 9 * 10.0f + 1); /* third image = pix 9 */
  sched_destroy(s);
}

/* A preferred size dispatches at once instead of waiting for max_batch. */
static void test_preferred(void **state) {
  fake_state f = {.lock = PTHREAD_MUTEX_INITIALIZER};
  sched_config c = {0};
  c.factory.open = fake_open;
  c.factory.arg = &f;
  c.executors = 1;
  c.max_batch = 16;
  c.max_queue = 64;
  c.max_queue_delay_ns = 5000000000ull;
  c.preferred[0] = 2;
  c.n_preferred = 1;
  c.image_bytes = IMG_BYTES;
  c.num_classes = CLASSES;
  sched *s;
  char err[200];
  assert_int_equal(sched_create(&s, &c, err, sizeof err), 0);
  tracker t;
  tracker_init(&t);
  job a, b;
  job_init(&a, &t, 0, 1, 1);
  job_init(&b, &t, 1, 1, 2);
  uint64_t t0 = sched_now_ns();
  assert_int_equal(sched_submit(s, &a.r), 0);
  assert_int_equal(sched_submit(s, &b.r), 0);
  wait_done(&t, 2);
  assert_true(sched_now_ns() - t0 < 1000000000ull);
  sched_destroy(s);
}

/* The queue bound refuses at once with -EAGAIN; oversize requests -E2BIG. */
static void test_queue_full(void **state) {
  fake_state f = {.lock = PTHREAD_MUTEX_INITIALIZER};
  sched *s = make(&f, 1, 8, 2, 300000);
  tracker t;
  tracker_init(&t);
  static job jobs[4];
  for (int i = 0; i < 4; i++) job_init(&jobs[i], &t, i, 1, 1);
  assert_false(sched_full(s));
  assert_int_equal(sched_submit(s, &jobs[0].r), 0);
  assert_false(sched_full(s));
  assert_int_equal(sched_submit(s, &jobs[1].r), 0);
  assert_true(sched_full(s)); /* held by the 300 ms batch delay */
  uint64_t t0 = sched_now_ns();
  assert_int_equal(sched_submit(s, &jobs[2].r), -EAGAIN);
  assert_true(sched_now_ns() - t0 < 50000000ull); /* refused at once, not after the delay */
  job big;
  job_init(&big, &t, 3, 1, 1);
  big.r.n = 9;
  assert_int_equal(sched_submit(s, &big.r), -E2BIG);
  wait_done(&t, 2);
  assert_int_equal(t.calls[2], 0);
  assert_false(sched_full(s));
  assert_int_equal(sched_submit(s, &jobs[3].r), 0);
  wait_done(&t, 3);
  sched_destroy(s);
}

/* A request whose deadline passes while queued is answered -ETIMEDOUT and
 * never reaches the backend. */
static void test_deadline(void **state) {
  fake_state f = {.sleep_us = 100000, .lock = PTHREAD_MUTEX_INITIALIZER};
  sched *s = make(&f, 1, 1, 16, 0);
  tracker t;
  tracker_init(&t);
  job a, b;
  job_init(&a, &t, 0, 1, 1);
  job_init(&b, &t, 1, 1, 2);
  assert_int_equal(sched_submit(s, &a.r), 0); /* occupies the executor 100 ms */
  usleep(10000);
  b.r.deadline_ns = sched_now_ns() + 20000000ull;
  assert_int_equal(sched_submit(s, &b.r), 0);
  wait_done(&t, 2);
  assert_int_equal(a.r.status, 0);
  assert_int_equal(b.r.status, -ETIMEDOUT);
  assert_int_equal(f.runs, 1);
  sched_stats st;
  assert_int_equal(sched_stats_get(s, &st), 0);
  assert_int_equal(st.timeouts, 1);
  sched_stats_free(&st);
  sched_destroy(s);
}

/* A failing batch answers each of its requests with the backend's error. */
static void test_backend_error(void **state) {
  fake_state f = {.lock = PTHREAD_MUTEX_INITIALIZER};
  sched *s = make(&f, 1, 4, 16, 0);
  tracker t;
  tracker_init(&t);
  job a;
  job_init(&a, &t, 0, 1, 0xEE);
  assert_int_equal(sched_submit(s, &a.r), 0);
  wait_done(&t, 1);
  assert_int_equal(a.r.status, -EIO);
  assert_non_null(strstr(a.r.err, "injected"));
  sched_destroy(s);
}

/* Drain refuses new work but finishes queued work; cancel answers the rest. */
static void test_drain_cancel(void **state) {
  fake_state f = {.sleep_us = 50000, .lock = PTHREAD_MUTEX_INITIALIZER};
  sched *s = make(&f, 1, 1, 16, 0);
  tracker t;
  tracker_init(&t);
  static job jobs[5];
  for (int i = 0; i < 5; i++) {
    job_init(&jobs[i], &t, i, 1, 1);
    assert_int_equal(sched_submit(s, &jobs[i].r), 0);
  }
  sched_drain(s);
  job late;
  job_init(&late, &t, 5, 1, 1);
  assert_int_equal(sched_submit(s, &late.r), -ESHUTDOWN);
  usleep(20000);
  sched_cancel(s);
  wait_done(&t, 5);
  int ok = 0, cancelled = 0;
  for (int i = 0; i < 5; i++) {
    assert_int_equal(t.calls[i], 1);
    ok += jobs[i].r.status == 0;
    cancelled += jobs[i].r.status == -ECANCELED;
  }
  assert_int_equal(ok + cancelled, 5);
  assert_true(ok >= 1);
  assert_true(cancelled >= 1);
  sched_destroy(s);
}

typedef struct {
  sched *s;
  tracker *t;
  job *jobs;
  int first, count;
  int refused;
} submitter;

static void *submit_thread(void *arg) {
  submitter *sb = arg;
  for (int i = sb->first; i < sb->first + sb->count; i++) {
    int n = 1 + i % 3;
    job_init(&sb->jobs[i], sb->t, i, n, (uint8_t)(i % 200));
    int rc;
    while ((rc = sched_submit(sb->s, &sb->jobs[i].r)) == -EAGAIN) {
      sb->refused++;
      usleep(200);
    }
    assert_int_equal(rc, 0);
  }
  return NULL;
}

/* Four submitters, three executors: every request answered exactly once,
 * with its own results, and the image count adds up. */
static void test_exactly_once(void **state) {
  fake_state f = {.sleep_us = 300, .lock = PTHREAD_MUTEX_INITIALIZER};
  sched *s = make(&f, 3, 8, 32, 500);
  tracker t;
  tracker_init(&t);
  static job jobs[400];
  submitter sb[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    sb[i] = (submitter){s, &t, jobs, i * 100, 100, 0};
    pthread_create(&th[i], NULL, submit_thread, &sb[i]);
  }
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  wait_done(&t, 400);
  uint64_t images = 0;
  for (int i = 0; i < 400; i++) {
    assert_int_equal(t.calls[i], 1);
    assert_int_equal(jobs[i].r.status, 0);
    assert_true(jobs[i].r.batch >= jobs[i].r.n && jobs[i].r.batch <= 8);
    for (int k = 0; k < jobs[i].r.n; k++)
      assert_true(jobs[i].out[k * CLASSES + 4] == (float)((i % 200 + k) % 256) * 10.0f + 4);
    images += (uint64_t)jobs[i].r.n;
  }
  sched_stats st;
  assert_int_equal(sched_stats_get(s, &st), 0);
  assert_int_equal(st.inference_count, images);
  uint64_t sum = 0;
  for (int b = 1; b <= 8; b++) sum += st.batch_count[b] * (uint64_t)b;
  assert_int_equal(sum, images);
  assert_int_equal(st.pending, 0);
  sched_stats_free(&st);
  sched_destroy(s);
}

/* A backend that cannot open fails sched_create with its message. */
static void test_open_failure(void **state) {
  sched_config c = {0};
  c.factory.open = failing_open;
  c.executors = 2;
  c.max_batch = 2;
  c.max_queue = 2;
  c.image_bytes = IMG_BYTES;
  c.num_classes = CLASSES;
  sched *s = (sched *)1;
  char err[200] = "";
  assert_int_equal(sched_create(&s, &c, err, sizeof err), -ENODEV);
  assert_null(s);
  assert_non_null(strstr(err, "no device"));
  c.factory.open = fake_open;
  c.max_batch = 0;
  assert_int_equal(sched_create(&s, &c, err, sizeof err), -EINVAL);
}

/* After sched_flush a partial batch runs at once instead of waiting. */
static void test_flush(void **state) {
  fake_state f = {.lock = PTHREAD_MUTEX_INITIALIZER};
  sched *s = make(&f, 1, 8, 16, 5000000);
  tracker t;
  tracker_init(&t);
  job j;
  job_init(&j, &t, 0, 1, 3);
  uint64_t t0 = sched_now_ns();
  assert_int_equal(sched_submit(s, &j.r), 0);
  usleep(10000);
  sched_flush(s);
  wait_done(&t, 1);
  assert_true(sched_now_ns() - t0 < 1000000000ull);
  assert_int_equal(j.r.status, 0);
  sched_destroy(s);
}

/* A backend with its own input memory gets every batch gathered straight
 * into it (no second copy), and the results are still each request's own. */
static void test_direct_input_buffer(void **state) {
  static uint8_t own[8 * IMG_BYTES];
  fake_state f = {.sleep_us = 0, .lock = PTHREAD_MUTEX_INITIALIZER, .own_input = own};
  sched_config c = {0};
  c.factory.open = fake_direct_open;
  c.factory.arg = &f;
  c.executors = 1;
  c.max_batch = 8;
  c.max_queue = 64;
  c.max_queue_delay_ns = 50 * 1000 * 1000;
  c.image_bytes = IMG_BYTES;
  c.num_classes = CLASSES;
  sched *s = NULL;
  char err[200];
  assert_int_equal(sched_create(&s, &c, err, sizeof err), 0);
  tracker t;
  tracker_init(&t);
  static job jobs[6];
  for (int i = 0; i < 6; i++) {
    job_init(&jobs[i], &t, i, 1, (uint8_t)(3 * i + 1));
    assert_int_equal(sched_submit(s, &jobs[i].r), 0);
  }
  wait_done(&t, 6);
  assert_true(f.runs >= 1);
  assert_int_equal(f.direct_runs, f.runs);
  for (int i = 0; i < 6; i++) {
    assert_int_equal(jobs[i].r.status, 0);
    assert_float_equal(jobs[i].out[2], (3 * i + 1) * 10.0f + 2, 0);
  }
  sched_destroy(s);
}

/* A one-image-per-batch configuration over this factory, for the tests
 * that look at single batches (health, devices). */
static sched_config small_config(int (*open)(void *, int, model_backend *, char *, size_t),
                                 void *arg, int executors) {
  sched_config c = {0};
  c.factory.open = open;
  c.factory.arg = arg;
  c.executors = executors;
  c.max_batch = 1;
  c.max_queue = 16;
  c.image_bytes = IMG_BYTES;
  c.num_classes = CLASSES;
  return c;
}

/* A run of failed batches (backend errors) makes sched_backend_failing()
 * report the backend as failing once it reaches cfg.failing_after, with the
 * last error; one good batch clears it. */
static void test_backend_failing(void **state) {
  fake_state f = {.lock = PTHREAD_MUTEX_INITIALIZER};
  sched_config c = small_config(fake_open, &f, 1);
  c.failing_after = 3;
  sched *s = NULL;
  char err[200], why[200] = "";
  assert_int_equal(sched_create(&s, &c, err, sizeof err), 0);
  tracker t;
  tracker_init(&t);
  static job jobs[5];
  for (int i = 0; i < 5; i++) { /* 0xEE fails in the fake backend; one at a time */
    job_init(&jobs[i], &t, i, 1, i < 3 ? 0xEE : 1);
    assert_int_equal(sched_submit(s, &jobs[i].r), 0);
    wait_done(&t, i + 1);
    if (i < 2) assert_int_equal(sched_backend_failing(s, why, sizeof why), 0);
    if (i == 2) {
      assert_int_equal(sched_backend_failing(s, why, sizeof why), 3);
      assert_string_equal(why, "device 0: injected failure");
      sched_stats st;
      assert_int_equal(sched_stats_get(s, &st), 0);
      assert_int_equal(st.consecutive_failures, 3);
      sched_stats_free(&st);
    }
    if (i >= 3) assert_int_equal(sched_backend_failing(s, why, sizeof why), 0);
  }
  assert_int_equal(jobs[2].r.status, -EIO);
  assert_int_equal(jobs[3].r.status, 0);
  sched_destroy(s);
  /* failing_after 0: never reported */
  c.failing_after = 0;
  assert_int_equal(sched_create(&s, &c, err, sizeof err), 0);
  tracker_init(&t);
  for (int i = 0; i < 4; i++) {
    job_init(&jobs[i], &t, i, 1, 0xEE);
    assert_int_equal(sched_submit(s, &jobs[i].r), 0);
    wait_done(&t, i + 1);
  }
  assert_int_equal(sched_backend_failing(s, why, sizeof why), 0);
  sched_destroy(s);
}

/* Failures count per device: executor 1 (device 1) fails every batch while
 * executor 0 (device 0) succeeds. Once device 1 has failed failing_after
 * times the backend is failing, even right after a success on device 0
 * (a scheduler-wide count would have been reset by it). */
typedef struct {
  int fail;
} flaky;
static int flaky_run(void *self, const uint8_t *images, int n, float *logits, char *err,
                     size_t errlen) {
  usleep(500);
  if (((flaky *)self)->fail) {
    snprintf(err, errlen, "lost the GPU");
    return -EIO;
  }
  memset(logits, 0, sizeof(float) * (size_t)n * CLASSES);
  return 0;
}
static const model_backend_ops flaky_ops = {
    .name = "flaky", .create = fake_create, .destroy = fake_destroy, .run = flaky_run};
static int flaky_open(void *arg, int ex, model_backend *b, char *err, size_t errlen) {
  return bind_fake(b, &flaky_ops, (flaky *)arg + ex);
}

static void test_failing_per_device(void **state) {
  flaky fl[2] = {{0}, {1}};
  sched_config c = small_config(flaky_open, fl, 2);
  c.device_of[0] = 0, c.device_of[1] = 1;
  c.failing_after = 3;
  sched *s = NULL;
  char err[200], why[200] = "";
  assert_int_equal(sched_create(&s, &c, err, sizeof err), 0);
  tracker t;
  tracker_init(&t);
  static job jobs[400];
  int failed = 0, i = 0;
  for (; i < 400; i += 2) { /* pairs, so that both executors take work */
    job_init(&jobs[i], &t, i, 1, 1);
    job_init(&jobs[i + 1], &t, i + 1, 1, 1);
    assert_int_equal(sched_submit(s, &jobs[i].r), 0);
    assert_int_equal(sched_submit(s, &jobs[i + 1].r), 0);
    wait_done(&t, i + 2);
    failed += (jobs[i].r.status != 0) + (jobs[i + 1].r.status != 0);
    const int ok_one = jobs[i].r.status == 0 || jobs[i + 1].r.status == 0;
    if (failed >= 3 && ok_one) break; /* device 0 has just succeeded too */
  }
  if (i >= 400) fail_msg("executor 1 never took 3 batches (%d failed)", failed);
  assert_int_equal(sched_backend_failing(s, why, sizeof why), failed);
  assert_string_equal(why, "device 1: lost the GPU");
  sched_stats st;
  assert_int_equal(sched_stats_get(s, &st), 0);
  assert_int_equal(st.consecutive_failures, failed);
  sched_stats_free(&st);
  sched_destroy(s);
}

/* Per-device profiles: executors on devices {5, 5, 2}. Each executor's fake
 * backend reports block times scaled by (its device + 1) and peaks by (its
 * index + 1); run() holds every executor until all three have entered it,
 * so each runs a batch. The scheduler must keep one profile per device
 * (never a mix), take each device's roofline from its first executor, and
 * list the devices in executor order. */
typedef struct {
  int device, index;
  pthread_mutex_t *lock;
  pthread_cond_t *cv;
  int *entered;
} devfake;

static int devfake_run(void *self, const uint8_t *images, int n, float *logits, char *err,
                       size_t errlen) {
  devfake *d = self;
  pthread_mutex_lock(d->lock);
  (*d->entered) |= 1 << d->index;
  pthread_cond_broadcast(d->cv);
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 5;
  while (*d->entered != 7 && pthread_cond_timedwait(d->cv, d->lock, &dl) == 0) {
  }
  pthread_mutex_unlock(d->lock);
  memset(logits, 0, sizeof(float) * (size_t)n * CLASSES);
  return 0;
}
static int devfake_times(void *self, double *s, int n, int *batch) {
  const devfake *d = self;
  for (int i = 0; i < n; i++) s[i] = 0.001 * (i + 1) * (d->device + 1);
  *batch = 1;
  return 0;
}
static void devfake_peaks(void *self, double *f, double *b) {
  const devfake *d = self;
  *f = 1e12 * (d->index + 1);
  *b = 1e11 * (d->index + 1);
}
static const model_backend_ops devfake_ops = {.name = "devfake",
                                              .act_bytes = 4,
                                              .w_bytes = 4,
                                              .create = fake_create,
                                              .destroy = fake_destroy,
                                              .run = devfake_run,
                                              .block_times = devfake_times,
                                              .peaks = devfake_peaks};
static int devfake_open(void *arg, int ex, model_backend *b, char *err, size_t errlen) {
  return bind_fake(b, &devfake_ops, (devfake *)arg + ex);
}

static void test_device_profiles(void **state) {
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
  int entered = 0;
  devfake d[3] = {
      {5, 0, &lock, &cv, &entered}, {5, 1, &lock, &cv, &entered}, {2, 2, &lock, &cv, &entered}};
  sched_config c = small_config(devfake_open, d, 3);
  c.n_blocks = 3;
  c.device_of[0] = 5, c.device_of[1] = 5, c.device_of[2] = 2;
  sched *s = NULL;
  char err[200];
  assert_int_equal(sched_create(&s, &c, err, sizeof err), 0);
  int devs[4] = {-1, -1, -1, -1};
  assert_int_equal(sched_devices(s, devs, 4), 2);
  assert_int_equal(devs[0], 5);
  assert_int_equal(devs[1], 2);
  double times[3], pf = 0, pb = 0;
  int batch = -1;
  /* before any batch: no profile, but the roofline is known */
  assert_int_equal(sched_device_profile(s, 2, times, 3, &batch, &pf, &pb), -EAGAIN);
  assert_int_equal(batch, 0);
  assert_true(pf == 3e12 && pb == 3e11);
  assert_int_equal(sched_device_profile(s, 7, times, 3, &batch, &pf, &pb), -ENOENT);
  tracker t;
  tracker_init(&t);
  static job jobs[3];
  for (int i = 0; i < 3; i++) {
    job_init(&jobs[i], &t, i, 1, 1);
    assert_int_equal(sched_submit(s, &jobs[i].r), 0);
  }
  wait_done(&t, 3);
  assert_int_equal(entered, 7); /* every executor ran one batch */
  for (int k = 0; k < 2; k++) {
    const int dev = devs[k];
    assert_int_equal(sched_device_profile(s, dev, times, 3, &batch, &pf, &pb), 0);
    assert_int_equal(batch, 1);
    for (int i = 0; i < 3; i++) assert_true(fabs(times[i] - 0.001 * (i + 1) * (dev + 1)) < 1e-12);
    assert_true(pf == (dev == 5 ? 1e12 : 3e12)); /* the device's first executor */
  }
  assert_int_equal(sched_device_profile(s, 5, times, 2, &batch, &pf, &pb), -EAGAIN); /* size */
  sched_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_direct_input_buffer),
      cmocka_unit_test(test_batches_form),
      cmocka_unit_test(test_partial_batch_delay),
      cmocka_unit_test(test_preferred),
      cmocka_unit_test(test_queue_full),
      cmocka_unit_test(test_deadline),
      cmocka_unit_test(test_backend_error),
      cmocka_unit_test(test_drain_cancel),
      cmocka_unit_test(test_exactly_once),
      cmocka_unit_test(test_open_failure),
      cmocka_unit_test(test_flush),
      cmocka_unit_test(test_device_profiles),
      cmocka_unit_test(test_backend_failing),
      cmocka_unit_test(test_failing_per_device),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
