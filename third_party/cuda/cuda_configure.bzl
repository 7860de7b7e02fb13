"""Detects a local CUDA toolkit and exposes it as @local_config_cuda.

Looks for nvcc in $CUDA_PATH/bin, then on PATH, then in /usr/local/cuda/bin.
The generated repository always exists; `CUDA_ENABLED` in its defs.bzl says
whether a toolkit was found, so that the rest of the tree builds without one.
BLOCKFUSE_CUDA_ARCH picks the SM architecture (default 90).
BLOCKFUSE_CUDA=0 builds as if no toolkit were installed (what CI machines
without CUDA get), so that configuration can be checked anywhere.
"""

def _find_nvcc(ctx):
    if ctx.os.environ.get("BLOCKFUSE_CUDA", "") == "0":
        return None
    cuda_path = ctx.os.environ.get("CUDA_PATH", "")
    if cuda_path:
        p = ctx.path(cuda_path + "/bin/nvcc")
        if p.exists:
            return p
    w = ctx.which("nvcc")
    if w:
        return w
    p = ctx.path("/usr/local/cuda/bin/nvcc")
    if p.exists:
        return p
    return None

def _cuda_configure_impl(ctx):
    nvcc = _find_nvcc(ctx)
    arch = ctx.os.environ.get("BLOCKFUSE_CUDA_ARCH", "90")
    enabled = False
    root = ""
    if nvcc:
        root = str(nvcc.dirname.dirname)
        libdir = root + "/lib64"
        if not ctx.path(libdir + "/libcudart_static.a").exists:
            libdir = root + "/targets/x86_64-linux/lib"
        enabled = ctx.path(libdir + "/libcudart_static.a").exists
    if enabled:
        ctx.symlink(root + "/include", "include")
        ctx.symlink(libdir, "lib")
        ctx.file("BUILD", """
package(default_visibility = ["//visibility:public"])
cc_library(
    name = "cuda_headers",
    hdrs = glob(["include/**/*.h", "include/**/*.hpp"]),
    includes = ["include"],
)
cc_library(
    name = "cudart_static",
    srcs = ["lib/libcudart_static.a"],
    linkopts = ["-ldl", "-lrt", "-lpthread"],
    deps = [":cuda_headers"],
)
""")
    else:
        ctx.file("BUILD", """
package(default_visibility = ["//visibility:public"])
cc_library(name = "cuda_headers")
cc_library(name = "cudart_static")
""")
    ctx.file("defs.bzl", """
CUDA_ENABLED = {enabled}
NVCC = "{nvcc}"
CUDA_ARCH = "{arch}"
""".format(enabled = enabled, nvcc = str(nvcc) if nvcc else "", arch = arch))

cuda_configure = repository_rule(
    implementation = _cuda_configure_impl,
    environ = ["CUDA_PATH", "PATH", "BLOCKFUSE_CUDA", "BLOCKFUSE_CUDA_ARCH"],
    local = True,
)
