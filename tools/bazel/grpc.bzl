"""cc_grpc_library stand-in: gRPC's own rule is not available offline.

Runs Debian's protoc with grpc_cpp_plugin over .proto sources that live under the
proto root `proto/` and wraps the generated *.grpc.pb.{h,cc} together with the
matching cc_proto_library. Generated headers are included as
"tsdb_source/v1/<name>.grpc.pb.h", like the protobuf ones.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

def cc_grpc_library(name, srcs, proto_srcs, cc_proto_dep, **kwargs):
    """srcs: the .proto files that declare services; proto_srcs: every .proto they import."""
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    native.genrule(
        name = name + "_gen",
        srcs = srcs + proto_srcs,
        outs = outs,
        tools = ["@com_google_protobuf//:protoc", "@system//:grpc_cpp_plugin"],
        cmd = " ".join([
            "$(location @com_google_protobuf//:protoc)",
            "--plugin=protoc-gen-grpc=$(location @system//:grpc_cpp_plugin)",
            "--grpc_out=$(GENDIR)/proto",
            "-Iproto",
            "-I/usr/include",
        ] + ["$(location " + s + ")" for s in srcs]),
    )
    cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        strip_include_prefix = "/proto",
        deps = [cc_proto_dep, "@system//:grpc"],
        **kwargs
    )
