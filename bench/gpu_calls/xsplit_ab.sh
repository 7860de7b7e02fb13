#!/usr/bin/env bash
# Sourced by the twenty-ninth session's xsplit calls (s29c1, s29c3, s29c4): on the GPU host,
# repo root, .gpu/ carried (branch xsplit's build). Their A/B commands now live in env_ab.sh,
# shared with the thirty-fourth session's wgx calls; against what those calls ran, env_ab.sh
# also runs the switch's test alone first, tables the tuner's lines at 64 too and names the
# Nsight Compute log ncu_force.txt (it was ncu_xforce.txt).
AB_ENV=BLOCKFUSE_CUDA_XSPLIT AB_TEST=test_mbconv_xsplit AB_TAG=xsplit . bench/gpu_calls/env_ab.sh
