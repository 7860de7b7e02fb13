/* Bounded queue + dynamic batcher + executors. See sched.h for the contract.
 *
 * One mutex guards the queue and the counters. Executors wait on `nonempty`;
 * the one that sees a partial batch waits (timed) for it to fill, then pops
 * whole requests FIFO until the next would overflow max_batch. Requests past
 * their deadline are answered -ETIMEDOUT at pop time, before compute. */
#define _GNU_SOURCE
#include "scheduler/sched.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  sched *s;
  int index;
  pthread_t thread;
  int started;
  model_backend backend;
  int opened;
  uint8_t *in; /* max_batch x image_bytes; the backend's own when in_borrowed */
  int in_borrowed;
  float *out;    /* max_batch x num_classes */
  double *times; /* n_blocks */
  int slot;      /* index of its device in sched.dev */
  int open_rc;
  char open_err[200];
} sched_executor;

struct sched {
  sched_config cfg;
  pthread_mutex_t lock;
  pthread_cond_t nonempty; /* queue changed or stopping */
  pthread_cond_t opened;   /* an executor finished open + warm-up */
  sched_request *head, *tail;
  int queued, queued_images, running;
  int accepting, stopping, flushing;
  int n_opened;
  sched_stats st;
  /* per device: the latest profile of any of its executors, and its roofline */
  struct {
    int device, batch, have;
    int failures; /* consecutive failed batches on this device */
    char last_error[160];
    double *times; /* n_blocks, inside dev_times */
    double peak_flops, peak_bw;
  } dev[SCHED_MAX_EXECUTORS];
  int n_dev;
  double *dev_times; /* n_dev x n_blocks */
  const char *backend_name;
  int act_bytes, w_bytes;
  sched_executor ex[SCHED_MAX_EXECUTORS];
};

uint64_t sched_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Absolute CLOCK_MONOTONIC timespec for pthread_cond_timedwait. */
static struct timespec ns_to_ts(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
  return ts;
}

/* Answers r with status (and message) by calling its done(); lock not held. */
static void finish(sched_request *r, int status, const char *msg) {
  r->status = status;
  if (msg) snprintf(r->err, sizeof r->err, "%s", msg);
  r->next = NULL;
  r->done(r);
}

/* True when n queued images should be dispatched without waiting. Caller
 * holds the lock. */
static int batch_ready(const sched *s, int n) {
  if (n >= s->cfg.max_batch) return 1;
  for (int i = 0; i < s->cfg.n_preferred; i++)
    if (n >= s->cfg.preferred[i]) return 1;
  return 0;
}

/* Size to aim for given n queued images: the largest preferred size <= n,
 * else max_batch. Caller holds the lock. */
static int batch_target(const sched *s, int n) {
  int best = 0;
  for (int i = 0; i < s->cfg.n_preferred; i++)
    if (s->cfg.preferred[i] <= n && s->cfg.preferred[i] > best) best = s->cfg.preferred[i];
  return best > 0 ? best : s->cfg.max_batch;
}

/* Waits for work and pops one batch (a list of requests) into *batch, with
 * expired requests moved to *expired. Returns 0, or -1 when the executor
 * should exit. Caller holds the lock. */
static int pop_batch(sched *s, sched_request **batch, sched_request **expired) {
  *batch = *expired = NULL;
  for (;;) {
    while (!s->head && !s->stopping) pthread_cond_wait(&s->nonempty, &s->lock);
    if (!s->head) return -1;
    uint64_t now = sched_now_ns();
    uint64_t fill_by = s->head->enqueue_ns + s->cfg.max_queue_delay_ns;
    if (!s->stopping && !s->flushing && s->accepting && !batch_ready(s, s->queued_images) &&
        now < fill_by) {
      struct timespec ts = ns_to_ts(fill_by);
      pthread_cond_timedwait(&s->nonempty, &s->lock, &ts);
      continue;
    }
    int target = batch_target(s, s->queued_images), n = 0;
    sched_request **bt = batch, **et = expired;
    while (s->head && (n == 0 || n + s->head->n <= target)) {
      sched_request *r = s->head;
      s->head = r->next;
      if (!s->head) s->tail = NULL;
      s->queued--;
      s->queued_images -= r->n;
      r->next = NULL;
      if (r->deadline_ns && now > r->deadline_ns) {
        *et = r;
        et = &r->next;
        s->st.timeouts++;
        continue;
      }
      *bt = r;
      bt = &r->next;
      n += r->n;
    }
    if (*batch) s->running++;
    if (s->head) pthread_cond_broadcast(&s->nonempty); /* leftovers for another executor */
    if (*batch || *expired) return 0;
  }
}

/* Copies the batch's images in, runs the backend once, copies logits out and
 * answers every request. Runs on the executor's thread without the lock. */
static void run_batch(sched_executor *e, sched_request *batch) {
  sched *s = e->s;
  const sched_config *c = &s->cfg;
  int n = 0;
  for (sched_request *r = batch; r; r = r->next) {
    memcpy(e->in + (size_t)n * c->image_bytes, r->images, (size_t)r->n * c->image_bytes);
    n += r->n;
  }
  char err[160] = "";
  uint64_t t0 = sched_now_ns();
  int rc = e->backend.ops->run(e->backend.self, e->in, n, e->out, err, sizeof err);
  uint64_t t1 = sched_now_ns();
  int have_prof = 0, prof_batch = 0;
  if (rc == 0 && c->n_blocks > 0 && e->backend.ops->block_times)
    have_prof =
        e->backend.ops->block_times(e->backend.self, e->times, c->n_blocks, &prof_batch) == 0;

  pthread_mutex_lock(&s->lock);
  s->running--;
  if (rc != 0) { /* per device: a lost GPU must not be hidden by healthy ones */
    s->dev[e->slot].failures++;
    snprintf(s->dev[e->slot].last_error, sizeof s->dev[e->slot].last_error, "%s", err);
  } else {
    s->dev[e->slot].failures = 0;
  }
  if (rc == 0) {
    s->st.exec_count++;
    s->st.inference_count += (uint64_t)n;
    s->st.batch_count[n]++;
    s->st.batch_compute_ns[n] += t1 - t0;
    if (have_prof) {
      memcpy(s->dev[e->slot].times, e->times, sizeof(double) * (size_t)c->n_blocks);
      s->dev[e->slot].batch = prof_batch;
      s->dev[e->slot].have = 1;
    }
  }
  pthread_mutex_unlock(&s->lock);

  int off = 0;
  sched_request *r = batch;
  while (r) {
    sched_request *next = r->next;
    r->start_ns = t0;
    r->end_ns = t1;
    r->batch = n;
    r->executor = e->index;
    if (rc == 0)
      memcpy(r->logits, e->out + (size_t)off * c->num_classes,
             sizeof(float) * (size_t)r->n * (size_t)c->num_classes);
    off += r->n;
    if (rc != 0) {
      pthread_mutex_lock(&s->lock);
      s->st.failed++;
      pthread_mutex_unlock(&s->lock);
    }
    finish(r, rc, rc ? err : NULL);
    r = next;
  }
}

/* Opens the backend and allocates buffers on this thread, then warms up. */
static int executor_init(sched_executor *e) {
  sched *s = e->s;
  const sched_config *c = &s->cfg;
  e->in = malloc((size_t)c->max_batch * c->image_bytes);
  e->out = malloc(sizeof(float) * (size_t)c->max_batch * (size_t)c->num_classes);
  e->times = c->n_blocks > 0 ? calloc((size_t)c->n_blocks, sizeof(double)) : NULL;
  if (!e->in || !e->out || (c->n_blocks > 0 && !e->times)) {
    snprintf(e->open_err, sizeof e->open_err, "executor %d: out of memory", e->index);
    return -ENOMEM;
  }
  int rc = c->factory.open(c->factory.arg, e->index, &e->backend, e->open_err, sizeof e->open_err);
  if (rc) return rc;
  e->opened = 1;
  /* Gather batches straight into the backend's own input memory when it has
   * some (the CUDA backend's pinned staging): one host copy instead of two. */
  uint8_t *direct =
      e->backend.ops->input_buffer ? e->backend.ops->input_buffer(e->backend.self) : NULL;
  if (direct) {
    if (!e->in_borrowed) free(e->in);
    e->in = direct;
    e->in_borrowed = 1;
  }
  if (c->warmup_image && c->warmup_n > 0) {
    int n = c->warmup_n < c->max_batch ? c->warmup_n : c->max_batch;
    for (int i = 0; i < n; i++)
      memcpy(e->in + (size_t)i * c->image_bytes, c->warmup_image, c->image_bytes);
    char err[160] = "";
    rc = e->backend.ops->run(e->backend.self, e->in, n, e->out, err, sizeof err);
    if (rc) {
      snprintf(e->open_err, sizeof e->open_err, "executor %d warm-up: %s", e->index, err);
      return rc;
    }
  }
  return 0;
}

/* Executor thread: init, report to sched_create(), then run batches until
 * the queue is drained and stopping is set. */
static void *executor_main(void *arg) {
  sched_executor *e = arg;
  sched *s = e->s;
  int rc = executor_init(e);
  pthread_mutex_lock(&s->lock);
  e->open_rc = rc;
  s->n_opened++;
  pthread_cond_broadcast(&s->opened);
  pthread_mutex_unlock(&s->lock);
  if (rc) return NULL;
  for (;;) {
    sched_request *batch, *expired;
    pthread_mutex_lock(&s->lock);
    int more = pop_batch(s, &batch, &expired);
    pthread_mutex_unlock(&s->lock);
    if (more < 0) break;
    while (expired) {
      sched_request *next = expired->next;
      finish(expired, -ETIMEDOUT, "deadline exceeded before compute");
      expired = next;
    }
    if (batch) run_batch(e, batch);
  }
  return NULL;
}

/* Checks the configuration; returns 0 or -EINVAL with a message. */
static int check_config(const sched_config *c, char *err, size_t errlen) {
  const char *why = NULL;
  if (!c->factory.open)
    why = "no backend factory";
  else if (c->executors < 1 || c->executors > SCHED_MAX_EXECUTORS)
    why = "executors out of range";
  else if (c->max_batch < 1)
    why = "max_batch must be >= 1";
  else if (c->max_queue < 1)
    why = "max_queue must be >= 1";
  else if (c->image_bytes == 0 || c->num_classes < 1)
    why = "bad image or class size";
  else if (c->n_preferred < 0 || c->n_preferred > SCHED_MAX_PREFERRED)
    why = "bad preferred list";
  for (int i = 0; !why && i < c->n_preferred; i++)
    if (c->preferred[i] < 1 || c->preferred[i] > c->max_batch)
      why = "preferred batch size outside 1..max_batch";
  if (why) {
    snprintf(err, errlen, "scheduler: %s", why);
    return -EINVAL;
  }
  return 0;
}

/* Index in s->dev of `device`, or s->n_dev where it has none yet. */
static int dev_slot(const sched *s, int device) {
  int k = 0;
  while (k < s->n_dev && s->dev[k].device != device) k++;
  return k;
}

int sched_create(sched **out, const sched_config *cfg, char *err, size_t errlen) {
  *out = NULL;
  int rc = check_config(cfg, err, errlen);
  if (rc) return rc;
  sched *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "scheduler: out of memory");
    return -ENOMEM;
  }
  s->cfg = *cfg;
  s->accepting = 1;
  s->st.max_batch = cfg->max_batch;
  s->st.batch_count = calloc((size_t)cfg->max_batch + 1, sizeof(uint64_t));
  s->st.batch_compute_ns = calloc((size_t)cfg->max_batch + 1, sizeof(uint64_t));
  for (int i = 0; i < cfg->executors; i++) { /* one profile slot per distinct device */
    const int k = dev_slot(s, cfg->device_of[i]);
    if (k == s->n_dev) s->dev[s->n_dev++].device = cfg->device_of[i];
    s->ex[i].slot = k;
  }
  const size_t nb = cfg->n_blocks > 0 ? (size_t)cfg->n_blocks : 1;
  s->dev_times = calloc((size_t)s->n_dev * nb, sizeof(double));
  for (int k = 0; s->dev_times && k < s->n_dev; k++) s->dev[k].times = s->dev_times + k * nb;
  if (!s->st.batch_count || !s->st.batch_compute_ns || !s->dev_times) {
    free(s->st.batch_count);
    free(s->st.batch_compute_ns);
    free(s->dev_times);
    free(s);
    snprintf(err, errlen, "scheduler: out of memory");
    return -ENOMEM;
  }
  pthread_mutex_init(&s->lock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->nonempty, &ca);
  pthread_condattr_destroy(&ca);
  pthread_cond_init(&s->opened, NULL);

  int started = 0;
  for (int i = 0; i < cfg->executors; i++) {
    sched_executor *e = &s->ex[i];
    e->s = s;
    e->index = i;
    if (pthread_create(&e->thread, NULL, executor_main, e) != 0) {
      snprintf(err, errlen, "scheduler: cannot start executor thread %d", i);
      rc = -EAGAIN;
      break;
    }
    e->started = 1;
    started++;
  }
  pthread_mutex_lock(&s->lock);
  while (s->n_opened < started) pthread_cond_wait(&s->opened, &s->lock);
  pthread_mutex_unlock(&s->lock);
  for (int i = 0; rc == 0 && i < started; i++) {
    if (s->ex[i].open_rc) {
      rc = s->ex[i].open_rc;
      snprintf(err, errlen, "%s", s->ex[i].open_err);
    }
  }
  if (rc) {
    sched_destroy(s);
    return rc;
  }
  model_backend *b0 = &s->ex[0].backend;
  for (int i = cfg->executors - 1; i >= 0; i--) { /* ends on each device's first executor */
    model_backend *b = &s->ex[i].backend;
    if (b->ops->peaks)
      b->ops->peaks(b->self, &s->dev[s->ex[i].slot].peak_flops, &s->dev[s->ex[i].slot].peak_bw);
  }
  s->backend_name = b0->ops->name;
  s->act_bytes = b0->ops->act_bytes;
  s->w_bytes = b0->ops->w_bytes;
  *out = s;
  return 0;
}

/* The queue holds max_queue requests. Caller must hold s->lock. */
static int queue_full_locked(const sched *s) {
  return s->queued >= s->cfg.max_queue;
}

int sched_submit(sched *s, sched_request *r) {
  if (!r || !r->done || !r->images || !r->logits || r->n < 1) return -EINVAL;
  if (r->n > s->cfg.max_batch) return -E2BIG;
  r->next = NULL;
  r->status = 0;
  r->err[0] = 0;
  r->batch = 0;
  r->start_ns = r->end_ns = 0;
  pthread_mutex_lock(&s->lock);
  int rc = 0;
  if (!s->accepting)
    rc = -ESHUTDOWN;
  else if (queue_full_locked(s))
    rc = -EAGAIN;
  if (rc == 0) {
    r->enqueue_ns = sched_now_ns();
    if (s->tail)
      s->tail->next = r;
    else
      s->head = r;
    s->tail = r;
    s->queued++;
    s->queued_images += r->n;
    pthread_cond_broadcast(&s->nonempty);
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int sched_full(sched *s) {
  pthread_mutex_lock(&s->lock);
  int full = queue_full_locked(s);
  pthread_mutex_unlock(&s->lock);
  return full;
}

void sched_drain(sched *s) {
  pthread_mutex_lock(&s->lock);
  s->accepting = 0;
  pthread_cond_broadcast(&s->nonempty); /* partial batches stop waiting to fill */
  pthread_mutex_unlock(&s->lock);
}

void sched_flush(sched *s) {
  pthread_mutex_lock(&s->lock);
  s->flushing = 1;
  pthread_cond_broadcast(&s->nonempty);
  pthread_mutex_unlock(&s->lock);
}

void sched_cancel(sched *s) {
  pthread_mutex_lock(&s->lock);
  sched_request *list = s->head;
  s->head = s->tail = NULL;
  s->st.cancelled += (uint64_t)s->queued;
  s->queued = s->queued_images = 0;
  pthread_mutex_unlock(&s->lock);
  while (list) {
    sched_request *next = list->next;
    finish(list, -ECANCELED, "cancelled: server shutting down");
    list = next;
  }
}

void sched_destroy(sched *s) {
  if (!s) return;
  pthread_mutex_lock(&s->lock);
  s->accepting = 0;
  s->stopping = 1;
  pthread_cond_broadcast(&s->nonempty);
  pthread_mutex_unlock(&s->lock);
  for (int i = 0; i < s->cfg.executors; i++) {
    sched_executor *e = &s->ex[i];
    if (e->started) pthread_join(e->thread, NULL);
    if (e->opened && s->cfg.factory.close) s->cfg.factory.close(s->cfg.factory.arg, i, &e->backend);
    if (!e->in_borrowed) free(e->in);
    free(e->out);
    free(e->times);
  }
  pthread_cond_destroy(&s->nonempty);
  pthread_cond_destroy(&s->opened);
  pthread_mutex_destroy(&s->lock);
  free(s->st.batch_count);
  free(s->st.batch_compute_ns);
  free(s->dev_times);
  free(s);
}

/* The device with the longest run of failed batches; caller holds the lock. */
static int worst_device(const sched *s) {
  int w = 0;
  for (int k = 1; k < s->n_dev; k++)
    if (s->dev[k].failures > s->dev[w].failures) w = k;
  return w;
}

int sched_stats_get(sched *s, sched_stats *st) {
  size_t n = (size_t)s->cfg.max_batch + 1;
  memset(st, 0, sizeof *st);
  uint64_t *bc = malloc(n * sizeof(uint64_t)), *bn = malloc(n * sizeof(uint64_t));
  if (!bc || !bn) {
    free(bc);
    free(bn);
    return -ENOMEM;
  }
  pthread_mutex_lock(&s->lock);
  *st = s->st;
  memcpy(bc, s->st.batch_count, n * sizeof(uint64_t));
  memcpy(bn, s->st.batch_compute_ns, n * sizeof(uint64_t));
  st->queued = s->queued;
  st->pending = s->queued + s->running;
  st->consecutive_failures = s->dev[worst_device(s)].failures;
  pthread_mutex_unlock(&s->lock);
  st->batch_count = bc;
  st->batch_compute_ns = bn;
  return 0;
}

void sched_stats_free(sched_stats *st) {
  free(st->batch_count);
  free(st->batch_compute_ns);
  st->batch_count = st->batch_compute_ns = NULL;
}

int sched_backend_failing(sched *s, char *why, size_t whylen) {
  pthread_mutex_lock(&s->lock);
  const int w = worst_device(s), n = s->dev[w].failures;
  const int failing = s->cfg.failing_after > 0 && n >= s->cfg.failing_after;
  if (failing && why)
    snprintf(why, whylen, "device %d: %s", s->dev[w].device, s->dev[w].last_error);
  pthread_mutex_unlock(&s->lock);
  return failing ? n : 0;
}

int sched_devices(sched *s, int *devices, int max) {
  for (int k = 0; k < s->n_dev && k < max; k++) devices[k] = s->dev[k].device;
  return s->n_dev;
}

int sched_device_profile(sched *s, int device, double *seconds, int n_blocks, int *batch,
                         double *peak_flops, double *peak_bw) {
  const int k = dev_slot(s, device);
  *batch = 0;
  if (k == s->n_dev) return -ENOENT;
  int rc = -EAGAIN;
  pthread_mutex_lock(&s->lock);
  if (peak_flops) *peak_flops = s->dev[k].peak_flops;
  if (peak_bw) *peak_bw = s->dev[k].peak_bw;
  if (s->dev[k].have && n_blocks == s->cfg.n_blocks) {
    memcpy(seconds, s->dev[k].times, sizeof(double) * (size_t)n_blocks);
    *batch = s->dev[k].batch;
    rc = 0;
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

void sched_backend_info(sched *s, const char **name, int *act_bytes, int *w_bytes) {
  if (name) *name = s->backend_name;
  if (act_bytes) *act_bytes = s->act_bytes;
  if (w_bytes) *w_bytes = s->w_bytes;
}
