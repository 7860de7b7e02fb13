/* blockfuse loadgen: the subcommand's entry point and its reports. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "server/fd_limit.h"
#include "server/loadgen.h"

static const double kPercentiles[] = {50, 90, 99, 99.9};
static const char *const kPercentileNames[] = {"p50", "p90", "p99", "p99.9"};

/* The --api spelling of a, for reports. */
static const char *api_name(loadgen_api a) {
  return a == LOADGEN_API_V1 ? "v1" : a == LOADGEN_API_V2_JSON ? "v2" : "v2-binary";
}

/* Measured requests without a 2xx answer (HTTP errors and transport failures). */
static uint64_t failures(const loadgen_result *res) {
  return res->sent - res->ok;
}

/* See loadgen.h: the three reasons to say the offered rate was not sustained. */
int loadgen_schedule_verdict(const loadgen_result *res) {
  int why = 0;
  if (res->unsent) why |= LOADGEN_LAG_UNSENT;
  if (res->max_lag_us > LOADGEN_WARN_MAX_LAG_US) why |= LOADGEN_LAG_WORST;
  if (res->sent >= LOADGEN_WARN_MIN_SENDS &&
      res->late_sends * 100 > res->sent * LOADGEN_WARN_LATE_PERCENT)
    why |= LOADGEN_LAG_OFTEN;
  return why;
}

/* Human-readable summary: mode, counts, throughput, percentiles, errors by status. */
void loadgen_report_text(const loadgen_config *cfg, const loadgen_result *res, FILE *out) {
  double secs = res->elapsed_s > 0 ? res->elapsed_s : 1e-9;
  if (cfg->rate > 0)
    fprintf(out, "open loop, %s arrivals at %.6g req/s, up to %d connections",
            cfg->arrival == LOADGEN_ARRIVAL_POISSON ? "Poisson" : "constant", cfg->rate,
            cfg->concurrency);
  else
    fprintf(out, "closed loop, %d connection%s", cfg->concurrency,
            cfg->concurrency == 1 ? "" : "s");
  if (cfg->threads > 1) fprintf(out, ", %d threads", cfg->threads);
  fprintf(out, "\n");
  fprintf(out, "target     http://%s:%s%s  api %s  model %s  batch %d\n", cfg->host, cfg->port,
          cfg->base_path, api_name(cfg->api), cfg->model, cfg->batch);
  fprintf(out, "requests   %llu sent, %llu ok, %llu failed in %.3f s\n",
          (unsigned long long)res->sent, (unsigned long long)res->ok,
          (unsigned long long)failures(res), res->elapsed_s);
  fprintf(out, "throughput %.2f req/s ok, %.2f inferences/s\n", (double)res->ok / secs,
          (double)res->images_ok / secs);
  if (res->ok) {
    fprintf(out, "latency    mean %.3f ms  min %.3f ms  max %.3f ms\n",
            loadgen_hist_mean(&res->latency) / 1000.0, (double)res->latency.min / 1000.0,
            (double)res->latency.max / 1000.0);
    fprintf(out, "          ");
    for (size_t i = 0; i < sizeof kPercentiles / sizeof *kPercentiles; i++)
      fprintf(out, " %s %.3f ms ", kPercentileNames[i],
              (double)loadgen_hist_percentile(&res->latency, kPercentiles[i]) / 1000.0);
    fprintf(out, "\n");
    if (cfg->rate > 0) fprintf(out, "           (from each request's intended send time)\n");
  }
  fprintf(out, "status    ");
  int any = 0;
  for (int s = 1; s < LOADGEN_MAX_STATUS; s++) {
    if (!res->by_status[s]) continue;
    fprintf(out, " %d: %llu", s, (unsigned long long)res->by_status[s]);
    any = 1;
  }
  if (res->by_status[0]) fprintf(out, " other: %llu", (unsigned long long)res->by_status[0]);
  if (res->err_connect) fprintf(out, " connect: %llu", (unsigned long long)res->err_connect);
  if (res->err_timeout) fprintf(out, " timeout: %llu", (unsigned long long)res->err_timeout);
  if (res->err_io) fprintf(out, " io: %llu", (unsigned long long)res->err_io);
  if (!any && !res->by_status[0] && !res->err_connect && !res->err_timeout && !res->err_io)
    fprintf(out, " (none)");
  fprintf(out, "\n");
  fprintf(out, "transfer   %.2f MB out, %.2f MB in (bodies)\n", (double)res->bytes_out / 1e6,
          (double)res->bytes_in / 1e6);
  fprintf(out, "client     %.0f%% of one core%s\n", 100.0 * res->client_cpu,
          cfg->threads > 1 ? " (the busiest thread)" : "");
  if (res->client_cpu >= LOADGEN_WARN_CLIENT_CPU)
    fprintf(out,
            "warning    loadgen's busiest thread was busy %.0f%% of the run: these figures may be "
            "the client's limit, not the server's; raise --threads\n",
            100.0 * res->client_cpu);
  if (cfg->rate > 0) {
    fprintf(out, "schedule   %llu sends >%g ms late (worst %.3f ms), %llu never sent\n",
            (unsigned long long)res->late_sends, LOADGEN_LATE_SEND_US / 1000.0,
            (double)res->max_lag_us / 1000.0, (unsigned long long)res->unsent);
    int why = loadgen_schedule_verdict(res);
    if (why) {
      fprintf(out, "warning    the offered rate was not sustained (");
      const char *sep = "";
      if (why & LOADGEN_LAG_UNSENT) {
        fprintf(out, "%srequests never sent", sep);
        sep = ", ";
      }
      if (why & LOADGEN_LAG_WORST) {
        fprintf(out, "%sa send %.3g ms late, over %g ms", sep, (double)res->max_lag_us / 1000.0,
                LOADGEN_WARN_MAX_LAG_US / 1000.0);
        sep = ", ";
      }
      if (why & LOADGEN_LAG_OFTEN)
        fprintf(out, "%s%.2g%% of sends late, over %d%%", sep,
                100.0 * (double)res->late_sends / (double)res->sent, LOADGEN_WARN_LATE_PERCENT);
      fprintf(out, "): raise -c or lower -r; latency above includes the wait\n");
    }
  }
}

/* The same figures as one JSON object on one line (latencies in us), for scripts. */
void loadgen_report_json(const loadgen_config *cfg, const loadgen_result *res, FILE *out) {
  double secs = res->elapsed_s > 0 ? res->elapsed_s : 1e-9;
  fprintf(out, "{\"target\":\"http://%s:%s%s\",\"api\":\"%s\",\"model\":\"%s\",\"batch\":%d,",
          cfg->host, cfg->port, cfg->base_path, api_name(cfg->api), cfg->model, cfg->batch);
  fprintf(out, "\"mode\":\"%s\",\"concurrency\":%d,\"threads\":%d,",
          cfg->rate > 0 ? "open" : "closed", cfg->concurrency, cfg->threads);
  if (cfg->rate > 0)
    fprintf(out, "\"rate\":%.6g,\"arrival\":\"%s\",", cfg->rate,
            cfg->arrival == LOADGEN_ARRIVAL_POISSON ? "poisson" : "constant");
  fprintf(out,
          "\"elapsed_s\":%.6f,\"sent\":%llu,\"ok\":%llu,\"failed\":%llu,"
          "\"throughput_rps\":%.3f,\"inferences_per_s\":%.3f,",
          res->elapsed_s, (unsigned long long)res->sent, (unsigned long long)res->ok,
          (unsigned long long)failures(res), (double)res->ok / secs, (double)res->images_ok / secs);
  fprintf(out, "\"latency_us\":{\"mean\":%.1f,\"min\":%llu,\"max\":%llu",
          loadgen_hist_mean(&res->latency),
          (unsigned long long)(res->latency.total ? res->latency.min : 0),
          (unsigned long long)res->latency.max);
  for (size_t i = 0; i < sizeof kPercentiles / sizeof *kPercentiles; i++)
    fprintf(out, ",\"%s\":%llu", kPercentileNames[i],
            (unsigned long long)loadgen_hist_percentile(&res->latency, kPercentiles[i]));
  fprintf(out, "},\"status\":{");
  int first = 1;
  for (int s = 1; s < LOADGEN_MAX_STATUS; s++) {
    if (!res->by_status[s]) continue;
    fprintf(out, "%s\"%d\":%llu", first ? "" : ",", s, (unsigned long long)res->by_status[s]);
    first = 0;
  }
  fprintf(out, "},\"errors\":{\"connect\":%llu,\"timeout\":%llu,\"io\":%llu},",
          (unsigned long long)res->err_connect, (unsigned long long)res->err_timeout,
          (unsigned long long)res->err_io);
  fprintf(out,
          "\"bytes_out\":%llu,\"bytes_in\":%llu,\"late_sends\":%llu,\"max_lag_us\":%llu,"
          "\"unsent\":%llu,\"client_cpu\":%.3f",
          (unsigned long long)res->bytes_out, (unsigned long long)res->bytes_in,
          (unsigned long long)res->late_sends, (unsigned long long)res->max_lag_us,
          (unsigned long long)res->unsent, res->client_cpu);
  if (cfg->rate > 0)
    fprintf(out, ",\"rate_sustained\":%s", loadgen_schedule_verdict(res) ? "false" : "true");
  fprintf(out, "}\n");
}

/* Opens an output path; "-" is stdout. */
static FILE *open_out(const char *path, char *err, size_t errlen) {
  if (strcmp(path, "-") == 0) return stdout;
  FILE *f = fopen(path, "w");
  if (!f) snprintf(err, errlen, "%s: %s", path, strerror(errno));
  return f;
}

/* Closes what open_out() opened; stdout stays open. */
static void close_out(FILE *f) {
  if (f && f != stdout) fclose(f);
}

/* Parse, build payloads, run, report; exit status as loadgen.h documents. */
int loadgen_main(int argc, char **argv) {
  /* A server may close a connection while a request is being written: that
   * must be an io error for that request, not SIGPIPE ending the run. */
  signal(SIGPIPE, SIG_IGN);
  loadgen_config cfg;
  loadgen_result res; /* about 24 KiB */
  char err[512] = "";
  int rc = loadgen_parse_args(argc, argv, &cfg, stdout, err, sizeof err);
  if (rc == 1) return 0;
  if (rc) {
    fprintf(stderr, "blockfuse loadgen: %s\n", err);
    return 2;
  }
  /* one socket per connection, plus stdio, the loop's own fds and files */
  unsigned long long soft = 0, hard = 0;
  if (fd_limit_raise((unsigned long long)cfg.concurrency + 64, &soft, &hard) == -EMFILE)
    fprintf(stderr,
            "blockfuse loadgen: warning: the descriptor limit (%llu, hard %llu) is below %d "
            "connections + 64; connections past it will fail (raise it with ulimit -n)\n",
            soft, hard, cfg.concurrency);
  loadgen_payloads p;
  rc = loadgen_payloads_build(&cfg, &p, err, sizeof err);
  if (rc) {
    fprintf(stderr, "blockfuse loadgen: %s\n", err);
    return 2;
  }
  FILE *csv = NULL, *json = NULL;
  if (cfg.csv_path && !(csv = open_out(cfg.csv_path, err, sizeof err))) goto fail;
  if (cfg.json_path && !(json = open_out(cfg.json_path, err, sizeof err))) goto fail;
  rc = loadgen_run(&cfg, &p, &res, csv, err, sizeof err);
  if (rc) goto fail;
  /* The text summary goes to stderr when stdout carries CSV or JSON. */
  FILE *text = (csv == stdout || json == stdout) ? stderr : stdout;
  if (!cfg.quiet) loadgen_report_text(&cfg, &res, text);
  if (json) loadgen_report_json(&cfg, &res, json);
  close_out(csv);
  close_out(json);
  loadgen_payloads_free(&p);
  if (res.ok == 0) {
    fprintf(stderr, "blockfuse loadgen: no request succeeded\n");
    return 1;
  }
  return 0;
fail:
  fprintf(stderr, "blockfuse loadgen: %s\n", err);
  close_out(csv);
  close_out(json);
  loadgen_payloads_free(&p);
  return 1;
}
