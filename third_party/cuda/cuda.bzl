"""cuda_library: compiles .cu files with the detected nvcc into a cc_library.

Where no CUDA toolkit was found, `fallback_srcs` (plain C) are built instead so
that the rest of the tree still links.
"""

load("@local_config_cuda//:defs.bzl", "CUDA_ARCH", "CUDA_ENABLED", "NVCC")

def cuda_library(name, srcs, hdrs = [], cu_hdrs = [], deps = [], fallback_srcs = [], copts = [], nvcc_opts = [], arch_specific = [], **kwargs):
    """arch_specific: .cu sources built for the architecture's own features
    (sm_90a: warpgroup MMAs) with BF_WGMMA defined, where the architecture
    is 90; elsewhere as the others (their code must then not need them)."""
    if not CUDA_ENABLED:
        native.cc_library(name = name, srcs = fallback_srcs, hdrs = hdrs, deps = deps, copts = copts, **kwargs)
        return
    objs = []
    cu = [s for s in srcs if s.endswith(".cu")]
    cc = [s for s in srcs if not s.endswith(".cu")]
    for src in cu:
        gencode = "-gencode=arch=compute_{a},code=[sm_{a},compute_{a}]".format(a = CUDA_ARCH)
        if src in arch_specific and CUDA_ARCH == "90":
            gencode = "-gencode=arch=compute_90a,code=sm_90a -DBF_WGMMA=1"
        obj = "_objs_cu/" + name + "/" + src[:-3] + ".o"
        native.genrule(
            name = name + "_" + src.replace("/", "_").replace(".", "_"),
            srcs = [src] + hdrs + cu_hdrs + ["@local_config_cuda//:cuda_headers"],
            outs = [obj],
            cmd = ("{nvcc} -O3 -std=c++17 {gencode} " +
                   "-lineinfo -Xcompiler -fPIC -Xptxas -warn-spills {extra} " +
                   "-I. -I$(GENDIR) -c $(location {src}) -o $@").format(
                nvcc = NVCC,
                gencode = gencode,
                src = src,
                extra = " ".join(nvcc_opts),
            ),
        )
        objs.append(obj)
    native.cc_library(
        name = name,
        srcs = objs + cc,
        hdrs = hdrs,
        deps = deps + ["@local_config_cuda//:cudart_static"],
        copts = copts,
        linkstatic = True,
        **kwargs
    )
