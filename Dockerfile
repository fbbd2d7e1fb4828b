# The tsdb-source Airbyte source connector image.
#
# Docker does not run in this project's development environment: this file is kept simple
# and is checked by reading (tests/airbyte/packaging_test.py checks the Airbyte conventions
# below: entrypoint, AIRBYTE_ENTRYPOINT, labels matching metadata.yaml, the build packages
# matching tools/install-deps).
#
#   docker build -t tsdb-source/source-timescaledb:0.1.0 .
#   docker run --rm tsdb-source/source-timescaledb:0.1.0 spec

# ---- build: Debian 12 with tools/install-deps' packages; the offline Bazel build ---------
FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
# The PACKAGES of tools/install-deps (keep the two lists equal).
RUN apt-get update \
 && apt-get install -y -q \
      bazel-bootstrap bazel-rules-java bazel-rules-proto bazel-skylib \
      libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libabsl-dev \
      libpq-dev libgtest-dev libgmock-dev postgresql-15 postgresql-client-15 libssh-dev \
      python3-jsonschema python3-yaml python3-grpcio python3-protobuf python-is-python3 \
      openssl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Local spawns: a container build may not allow the namespaces of Bazel's linux-sandbox.
# The binary is copied out in the same step, while bazel-bin still points at it.
RUN bazel build -c opt --spawn_strategy=local //client:tsdb-source \
 && install -D -m 0755 bazel-bin/client/tsdb-source /out/tsdb-source \
 && bazel shutdown

# ---- runtime: the connector binary and the shared libraries it links ---------------------
FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y -q --no-install-recommends \
      libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libpq5 libssh-4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 --user-group airbyte
COPY --from=build /out/tsdb-source /usr/local/bin/tsdb-source
USER airbyte
WORKDIR /home/airbyte

# Airbyte runs the connector through AIRBYTE_ENTRYPOINT; it must equal the entrypoint.
ENV AIRBYTE_ENTRYPOINT="/usr/local/bin/tsdb-source"
ENTRYPOINT ["/usr/local/bin/tsdb-source"]

LABEL io.airbyte.name=tsdb-source/source-timescaledb
LABEL io.airbyte.version=0.1.0
