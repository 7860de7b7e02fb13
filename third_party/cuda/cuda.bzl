"""cuda_library: compiles .cu files with the detected nvcc into a cc_library.

Where no CUDA toolkit was found, `fallback_srcs` (plain C) are built instead so
that the rest of the tree still links.
"""

load("@local_config_cuda//:defs.bzl", "CUDA_ARCH", "CUDA_ENABLED", "NVCC")

def cuda_library(name, srcs, hdrs = [], cu_hdrs = [], deps = [], fallback_srcs = [], copts = [], nvcc_opts = [], **kwargs):
    if not CUDA_ENABLED:
        native.cc_library(name = name, srcs = fallback_srcs, hdrs = hdrs, deps = deps, copts = copts, **kwargs)
        return
    objs = []
    cu = [s for s in srcs if s.endswith(".cu")]
    cc = [s for s in srcs if not s.endswith(".cu")]
    for src in cu:
        obj = "_objs_cu/" + name + "/" + src[:-3] + ".o"
        native.genrule(
            name = name + "_" + src.replace("/", "_").replace(".", "_"),
            srcs = [src] + hdrs + cu_hdrs + ["@local_config_cuda//:cuda_headers"],
            outs = [obj],
            cmd = ("{nvcc} -O3 -std=c++17 -gencode=arch=compute_{a},code=[sm_{a},compute_{a}] " +
                   "-lineinfo -Xcompiler -fPIC -Xptxas -warn-spills {extra} " +
                   "-I. -I$(GENDIR) -c $(location {src}) -o $@").format(
                nvcc = NVCC,
                a = CUDA_ARCH,
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
