#include "fused_kernels/cuda_plan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

/* Resident CTAs per SM for a tile: shared memory and registers both bound it. */
static int occupancy(const cuda_mbconv_args *a, const cuda_device_caps *c) {
  const size_t smem = cuda_mbconv_smem(a) + 1024; /* + the runtime's reserve per CTA */
  int occ = (int)(c->smem_per_sm / smem);
  const int nf = cuda_mbconv_nf(a);
  const int idx = nf <= 1 ? 0 : nf <= 2 ? 1 : nf <= 4 ? 2 : nf <= 8 ? 3 : 4;
  const int regs = c->regs_nf[idx] > 0 ? c->regs_nf[idx] : 255;
  const int by_regs = c->regs_per_sm / (regs * CUDA_THREADS);
  if (by_regs < occ) occ = by_regs;
  if (occ > 2048 / CUDA_THREADS) occ = 2048 / CUDA_THREADS;
  return occ;
}

/* Cost model, in SM cycles. Rates per SM per cycle come from the measured
 * peaks and the clock; the depthwise conv runs on the FP32 pipes at an
 * assumed 64 FMA/cycle (loads bound it, not the 128 FMA units); each chunk
 * pays ~4 barriers; weights are re-read from L2 by every CTA. A split along
 * grid.z divides a CTA's chunks (PASS1) or output columns (the others; the
 * expand and dw are then recomputed per split). Time = waves * per-tile
 * cycles * CTAs sharing an SM. */
double cuda_plan_cost(const cuda_mbconv_args *a, int batch, const cuda_device_caps *c) {
  const double clk = c->clock_khz > 0 ? c->clock_khz * 1e3 : 1.7e9;
  const double tc = c->peak_flops > 0 ? c->peak_flops / 2 / c->sms / clk : 512;
  const double bw = c->peak_bw > 0 ? c->peak_bw / c->sms / clk : 12;
  const int ih = (a->TH - 1) * a->S + a->K, iw = (a->TW - 1) * a->S + a->K;
  const double pin = cuda_pad16(ih * iw), pout = cuda_pad16(a->TH * a->TW), px = a->TH * a->TW;
  const int staged = a->mode == CUDA_MB_STAGED, proj = a->mode != CUDA_MB_PASS1;
  const int z = cuda_mbconv_z(a), nchunks = (a->CmidP + a->CC - 1) / a->CC;
  const int chunks = proj ? nchunks : (nchunks + z - 1) / z; /* chunks one CTA walks */
  const double cfrac = (double)chunks / nchunks;
  const double colfrac = proj ? (double)cuda_mbconv_nctz(a) * 16 / a->CoutP : 0;
  double macs = 0, dw = 0, bytes = 0, wbytes = 0;
  if (!staged) {
    if (a->has_expand) macs += pin * a->CinP * a->CmidP * cfrac;
    dw = px * a->K * a->K * a->CmidP * cfrac;
    bytes += (double)ih * iw * a->CinP * 2;
    wbytes += ((a->has_expand ? a->CinP : 0) + a->K * a->K) * (double)a->CmidP * 2 * cfrac;
  } else {
    bytes += px * a->CmidP * 2;
  }
  if (proj) {
    macs += pout * a->CmidP * a->CoutP * colfrac;
    bytes += px * a->CoutP * 2 * (a->res ? 2 : 1) * colfrac;
    wbytes += (double)a->CmidP * a->CoutP * 2 * colfrac;
  }
  if (a->mode == CUDA_MB_PASS1 && a->stage) bytes += px * a->CmidP * 2 * cfrac;
  const double fixed = chunks * 4 * 60 + 600;
  /* tensor cores via wmma from shared memory reach roughly half their peak;
   * weights come from L2 at an assumed 32 B/cycle/SM */
  const double shared = macs / (tc * 0.5) + dw / 64 + bytes / bw + wbytes / 32;
  const int occ = occupancy(a, c);
  if (occ < 1) return INFINITY;
  const double ctas = (double)a->tiles_x * a->tiles_y * batch * z;
  const double waves = ceil(ctas / ((double)c->sms * occ));
  /* CTAs resident together share the SM's throughput but hide each other's
   * latency: count the shared part fully and the fixed part once. */
  const double per_sm = ctas < (double)c->sms * occ ? ceil(ctas / c->sms) : occ;
  return waves * (shared * per_sm + fixed);
}

int cuda_plan_mbconv(cuda_mbconv_args *a, int batch, const cuda_device_caps *caps, size_t smem_cap,
                     char *err, size_t errlen) {
  return cuda_plan_mbconv_cc(a, batch, caps, smem_cap, 0, err, errlen);
}

int cuda_plan_mbconv_cc(cuda_mbconv_args *a, int batch, const cuda_device_caps *caps,
                        size_t smem_cap, int cc, char *err, size_t errlen) {
  static const int ccs[] = {16, 32, 64, 128};
  const size_t cap = smem_cap && smem_cap < caps->smem_optin ? smem_cap : caps->smem_optin;
  double best = INFINITY;
  int bth = 0, btw = 0, bcc = 0, bz = 1;
  const int mth = a->Ho < 32 ? a->Ho : 32, mtw = a->Wo < 32 ? a->Wo : 32;
  const int proj = a->mode != CUDA_MB_PASS1, nct = a->CoutP / 16;
  for (int th = 1; th <= mth; th++) {
    for (int tw = 1; tw <= mtw; tw++) {
      if (th * tw > 256) continue;
      for (unsigned k = 0; k < sizeof ccs / sizeof ccs[0]; k++) {
        if (ccs[k] > a->CmidP) break;
        if (cc && ccs[k] != cc) continue;
        const int nch = (a->CmidP + ccs[k] - 1) / ccs[k], maxz = proj ? nct : nch;
        for (int z = 1; z <= maxz && z <= 16; z++) {
          if (!cuda_split_ok(proj ? nct : nch, z)) continue;
          a->TH = th, a->TW = tw, a->CC = ccs[k], a->zsplit = z;
          a->tiles_y = (a->Ho + th - 1) / th, a->tiles_x = (a->Wo + tw - 1) / tw;
          if (cuda_mbconv_nf(a) > CUDA_MAX_NF || cuda_mbconv_smem(a) > cap) continue;
          const double t = cuda_plan_cost(a, batch, caps);
          if (t < best * 0.999 || (t <= best * 1.001 && th * tw > bth * btw)) {
            best = t, bth = th, btw = tw, bcc = ccs[k], bz = z;
          }
        }
      }
    }
  }
  if (!bth) {
    snprintf(err, errlen,
             "no MBConv tile fits %zu bytes of shared memory (Cin %d, Cmid %d, Cout %d, k %d)", cap,
             a->Cin, a->Cmid, a->Cout, a->K);
    return -ENOSPC;
  }
  a->TH = bth, a->TW = btw, a->CC = bcc, a->zsplit = bz;
  a->tiles_y = (a->Ho + bth - 1) / bth, a->tiles_x = (a->Wo + btw - 1) / btw;
  return 0;
}

int cuda_plan_mbconv_cluster(cuda_mbconv_args *a, int cl, int cc, const cuda_device_caps *caps,
                             size_t smem_cap, char *err, size_t errlen) {
  const size_t cap = smem_cap && smem_cap < caps->smem_optin ? smem_cap : caps->smem_optin;
  if (a->Ho * a->Wo > 256 || cl < 1 || cl > 8 || cc < 16 || cc > 64 || cc % 16 || cc > a->CmidP) {
    snprintf(err, errlen, "cluster mode: %dx%d output, cl %d, cc %d do not apply", a->Ho, a->Wo, cl,
             cc);
    return -ENOSPC;
  }
  a->mode = CUDA_MB_CLUSTER, a->TH = a->Ho, a->TW = a->Wo, a->tiles_x = a->tiles_y = 1;
  a->zsplit = 1, a->lowreg = 0, a->CC = cc, a->cl = cl;
  const int mt = cuda_pad16(a->Ho * a->Wo) / 16, nct = a->CoutP / 16;
  double best_units = INFINITY, best_traffic = INFINITY;
  for (int d = 1; d <= cl; d++) {
    if (cl % d) continue;
    const int rows = (mt + d - 1) / d, cols = (nct + cl / d - 1) / (cl / d);
    const double units = (double)rows * cols;
    const double traffic = (double)rows * 16 * a->CmidP + (double)a->CmidP * cols * 16;
    if (units < best_units || (units == best_units && traffic < best_traffic))
      best_units = units, best_traffic = traffic, a->clr = d;
  }
  const size_t smem = cuda_mbconv_smem(a);
  if (cuda_mbconv_nf(a) > CUDA_MAX_NF || smem > cap) {
    snprintf(err, errlen, "cluster mode: cl %d, cc %d needs %zu bytes of shared memory (cap %zu)",
             cl, cc, smem, cap);
    return -ENOSPC;
  }
  return 0;
}

/* The pass-2 GEMM of the tile plan's shapes with bm rows and z column splits
 * per CTA, every other GEMM choice at its plain value (no K split, sefuse,
 * streaming, bulk copies, warpgroup MMAs or the narrow form) and the tile kernel's variants
 * off: each candidate below sets only what it adds. */
static cuda_mbconv_args gate_proj_cand(const cuda_mbconv_args *tiled, int bm, int z) {
  cuda_mbconv_args l = *tiled;
  l.gemm = bm, l.zsplit = z, l.ksplit = 1, l.sefuse = 0, l.stream = 0, l.bulk = 0, l.wg = 0;
  l.narrow = 0, l.wide = l.lowreg = l.dwh2 = 0;
  return l;
}

/* Appends launch l to the candidates c[*n] where there is room, the launch
 * is valid and its shared memory fits. */
static void add_gate_proj_cand(cuda_mbconv_args *c, int *n, int max, const cuda_mbconv_args *l,
                               const cuda_device_caps *caps) {
  if (*n < max && cuda_gate_proj_ok(l) && cuda_mbconv_smem(l) <= caps->smem_optin) c[(*n)++] = *l;
}

int cuda_plan_gate_proj_cands(const cuda_mbconv_args *tiled, int batch,
                              const cuda_device_caps *caps, int sefuse, int split,
                              cuda_mbconv_args *c, int max) {
  const int nct = tiled->CoutP / 16, zmin = (nct + 7) / 8;
  const long long M = (long long)batch * tiled->Ho * tiled->Wo;
  /* column splits: the fewest (zmin) and every count up to twice that (the
     row tiles times the splits set how evenly the CTAs fill the waves of the
     SMs), the two ends also with a K split; 4 zmin and one column tile per
     CTA (nct) with a K split only */
  int zs[20], kind[20], nz = 0; /* kind 0: ends, 1: between them, 2: K split only */
  for (int z = zmin; z <= 2 * zmin && z <= nct && nz < 17; z++)
    zs[nz] = z, kind[nz++] = z == zmin || z == 2 * zmin ? 0 : 1;
  if (4 * zmin <= nct && 4 * zmin > 2 * zmin) zs[nz] = 4 * zmin, kind[nz++] = 2;
  if (nct > 4 * zmin) zs[nz] = nct, kind[nz++] = 2;
  int n = 0;
  for (int bm = 64; bm <= 128; bm *= 2) {
    const long long rt = (M + bm - 1) / bm;
    for (int zi = 0; zi < nz; zi++) {
      const int z = zs[zi];
      for (int ks = 1; ks <= 8; ks *= 2) {
        const int idle = rt * z < caps->sms; /* the tiles alone leave SMs idle */
        if ((ks > 1 && (!(split && idle) || kind[zi] == 1)) || (kind[zi] == 2 && ks == 1) ||
            n == max)
          continue;
        /* streaming (persistent CTAs) where there are at least two row tiles per SM */
        const int stream = ks == 1 && kind[zi] < 2 && rt >= 2LL * caps->sms;
        cuda_mbconv_args l = gate_proj_cand(tiled, bm, z);
        l.ksplit = ks, l.sefuse = sefuse;
        for (int st = 0; st <= stream; st++)             /* a CTA per tile, then streaming */
          for (int b = 0; b <= (caps->bulk != 0); b++) { /* cp.async, then bulk copies (sm_90) */
            l.stream = st ? CUDA_PG_STREAM_FILL : 0, l.bulk = b;
            add_gate_proj_cand(c, &n, max, &l, caps);
          }
      }
    }
  }
  /* The per-tile bulk-copy GEMM also in 96-row tiles (3 row warps): where
     64- and 128-row tiles leave the last wave of two CTAs per SM part empty
     (7x7 at 256: 98 x 2 tiles of 128 rows for 264 slots; 14x14: 392), 96
     rows may fill it (131 x 2, 523) */
  for (int zi = 0; zi < nz && caps->bulk && !sefuse; zi++) {
    if (kind[zi] == 2) continue;
    cuda_mbconv_args l = gate_proj_cand(tiled, 96, zs[zi]);
    l.bulk = 1;
    add_gate_proj_cand(c, &n, max, &l, caps);
  }
  /* The warpgroup-MMA GEMM (sm_90a), persistent, 64 or 128 rows: up to 16
     column tiles per CTA, so its fewest splits are ceil(nct / 16); every
     count from there to twice that, then the others' larger ones */
  if (caps->wg && !sefuse) {
    const int zw = (nct + 15) / 16;
    int wz[40], nw = 0;
    for (int z = zw; z <= 2 * zw && z <= nct; z++) wz[nw++] = z;
    for (int zi = 0; zi < nz; zi++)
      if (kind[zi] < 2 && zs[zi] > 2 * zw) wz[nw++] = zs[zi];
    for (int bm = 64; bm <= 128; bm *= 2)
      for (int zi = 0; zi < nw; zi++) {
        cuda_mbconv_args l = gate_proj_cand(tiled, bm, wz[zi]);
        l.wg = 1;
        add_gate_proj_cand(c, &n, max, &l, caps);
      }
  }
  /* The narrow GEMM (K <= 96, N <= 32: the first blocks' pass 2), one form */
  if (!sefuse) {
    cuda_mbconv_args l = gate_proj_cand(tiled, 64, 1);
    l.narrow = 1;
    add_gate_proj_cand(c, &n, max, &l, caps);
  }
  return n;
}

int cuda_plan_px_cands(const cuda_px_args *a, int batch, const cuda_device_caps *caps,
                       cuda_px_args *c, int max) {
  static const int nts[] = {2, 3, 4, 6, 8, 12};
  const int mlp = a->mode == CUDA_PX_MLP, out_ln = cuda_px_out_ln(a);
  int best[64] = {0}; /* best[splits]: the nt of least waste */
  for (int i = 0; i < 6; i++) {
    const int nt = nts[i], ncol = 32 * nt, splits = (a->CoutP + ncol - 1) / ncol;
    if ((nt == 12 && !mlp) || splits >= 64 || (out_ln && splits > 1)) continue;
    const int b = best[splits];
    if (!b || splits * ncol < splits * 32 * b) best[splits] = nt;
  }
  int n = 0, kept = 0, wg_first = -1;
  for (int sp = 1; sp < 64 && kept < 3; sp++) {
    if (!best[sp]) continue;
    kept++;
    for (int rw = 0; rw <= (mlp && best[sp] <= 6); rw++) {
      for (int en = 2; en >= 1 && n < max; en--) {
        cuda_px_args t = *a;
        t.nt = best[sp], t.en = mlp ? en : 1, t.hs = 1, t.rw = rw, t.wg = 0;
        if (!mlp && en == 2) continue;
        if (cuda_px_smem(&t) <= caps->smem_optin) c[n++] = t;
      }
    }
    /* the warpgroup-MMA kernels (sm_90a): the column-split one (64 pixels, up to 384
       columns), then 128 and 64 pixels a CTA (up to 192 columns) */
    for (int wg = 3; wg >= 1 && mlp && caps->wg && n < max; wg--) {
      const int nt = best[sp];
      if (wg == 3 ? nt != 6 && nt != 8 && nt != 12 : nt > 6) continue;
      cuda_px_args t = *a;
      t.nt = best[sp], t.en = 2, t.hs = 1, t.rw = 0, t.wg = wg;
      if (cuda_px_smem(&t) > caps->smem_optin) continue;
      if (wg_first < 0) wg_first = n;
      c[n++] = t;
    }
  }
  /* the hidden or K split (small batches) of the first two launches and of
     the first warpgroup-MMA one */
  const long long pixels = (long long)batch * a->Ho * a->Wo;
  const int nbase = n, firsts[3] = {0, 1, wg_first};
  for (int f = 0; f < 3 && !out_ln; f++) {
    const int k = firsts[f];
    if (k < 0 || k >= nbase || (f == 1 && c[1].wg)) continue;
    const long long rows = (pixels + cuda_px_rows(&c[k]) - 1) / cuda_px_rows(&c[k]);
    const long long base = rows * cuda_px_splits(&c[k]);
    const int nch = cuda_px_chunks(&c[k]);
    if (base >= caps->sms) continue;
    for (int hs = 2; hs <= 32 && hs <= nch && base * hs <= 2LL * caps->sms && n < max; hs *= 2) {
      c[n] = c[k];
      c[n++].hs = hs;
    }
  }
  return n;
}

int cuda_pieces_keep(const int *out_elems, int L, int lanes) {
  if (lanes > 1) {
    for (int j = 2; j < L; j++)
      if (out_elems[j] > out_elems[j - 2]) return 0;
    return 1;
  }
  for (int j = L - 3; j >= 0; j -= 2)
    if (out_elems[j] < out_elems[L - 1]) return 0;
  return 1;
}
