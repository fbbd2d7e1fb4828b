"""The connector image's packaging, checked by reading: Docker does not run here.

Dockerfile: a Debian bookworm build stage installing tools/install-deps' packages and
running `bazel build -c opt //client:tsdb-source`; a bookworm-slim runtime stage with the
binary and the packages of every library it links; ENTRYPOINT equal to AIRBYTE_ENTRYPOINT
(Airbyte's CAT test_docker_env); io.airbyte.name / io.airbyte.version labels.
metadata.yaml: the required fields of Airbyte's ConnectorMetadataDefinitionV0, equal to
the labels where they overlap.
"""
import json
import os
import pathlib
import re
import shlex
import subprocess
import unittest
import uuid

import yaml

RUNFILES = pathlib.Path(os.environ.get("TEST_SRCDIR", "")) / "tsdb_source"
DOCKERFILE = RUNFILES / "Dockerfile"
METADATA = RUNFILES / "metadata.yaml"
DOCKERIGNORE = RUNFILES / ".dockerignore"
SHIM = RUNFILES / "client" / "tsdb-source"
# tools/install-deps is not a Bazel target: read it beside the real Dockerfile.
INSTALL_DEPS = DOCKERFILE.resolve().parent / "tools" / "install-deps"

# Packages of every Debian base image (Priority: required).
BASE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1"}


def instructions(text):
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    result = []
    logical = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not logical and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        keyword, _, rest = logical.partition(" ")
        result.append((keyword.upper(), rest.strip()))
        logical = ""
    return result


def stages(parsed):
    """Instructions grouped by FROM."""
    groups = []
    for keyword, rest in parsed:
        if keyword == "FROM":
            groups.append([(keyword, rest)])
        elif groups:
            groups[-1].append((keyword, rest))
    return groups


def apt_packages(run_arguments):
    """Package names of the `apt-get install` commands in a RUN's arguments."""
    packages = []
    for command in run_arguments.split("&&"):
        words = shlex.split(command)
        if words[:2] == ["apt-get", "install"]:
            packages += [w for w in words[2:] if not w.startswith("-")]
    return packages


def install_deps_packages():
    text = INSTALL_DEPS.read_text()
    body = re.search(r"PACKAGES=\((.*?)\)", text, re.S).group(1)
    return [w for line in body.splitlines() for w in line.split("#")[0].split()]


class Dockerfile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.parsed = instructions(DOCKERFILE.read_text())
        cls.stages = stages(cls.parsed)
        cls.build, cls.runtime = cls.stages[0], cls.stages[-1]

    def values(self, stage, keyword):
        return [rest for k, rest in stage if k == keyword]

    def test_two_debian_bookworm_stages(self):
        self.assertEqual(len(self.stages), 2)
        self.assertEqual(self.build[0][1], "debian:bookworm AS build")
        self.assertEqual(self.runtime[0][1], "debian:bookworm-slim")

    def test_build_stage_installs_the_packages_of_install_deps(self):
        installed = [p for run in self.values(self.build, "RUN") for p in apt_packages(run)]
        self.assertTrue(installed)
        self.assertEqual(sorted(installed), sorted(install_deps_packages()))

    def test_build_stage_builds_the_shim_optimized_and_copies_it_out(self):
        runs = " ".join(self.values(self.build, "RUN"))
        self.assertRegex(runs, r"bazel build -c opt .*//client:tsdb-source")
        self.assertIn("bazel-bin/client/tsdb-source /out/tsdb-source", runs)
        self.assertIn("--from=build /out/tsdb-source /usr/local/bin/tsdb-source",
                      self.values(self.runtime, "COPY"))

    def test_entrypoint_equals_airbyte_entrypoint(self):
        entrypoint = json.loads(self.values(self.runtime, "ENTRYPOINT")[-1])
        env = {}
        for rest in self.values(self.runtime, "ENV"):
            key, _, value = rest.partition("=")
            env[key] = shlex.split(value)[0]
        self.assertEqual(env["AIRBYTE_ENTRYPOINT"], " ".join(entrypoint))
        self.assertEqual(entrypoint, ["/usr/local/bin/tsdb-source"])

    def test_runtime_installs_the_package_of_every_linked_library(self):
        installed = set(p for run in self.values(self.runtime, "RUN") for p in apt_packages(run))
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                            subprocess.run(["readelf", "-d", str(SHIM)], capture_output=True,
                                           text=True, check=True).stdout)
        self.assertTrue(needed)
        paths = dict(re.findall(r"^\s*(\S+) => (/\S+)", subprocess.run(
            ["ldd", str(SHIM)], capture_output=True, text=True, check=True).stdout, re.M))
        missing = {}
        for library in needed:
            if library not in paths or re.match(r"lib(a|l|t|ub)san\.so", library):
                continue  # the dynamic loader itself; the runtimes of --config=asan|tsan
            owner = subprocess.run(["dpkg", "-S", os.path.realpath(paths[library])],
                                   capture_output=True, text=True).stdout.split(":")[0]
            if owner and owner not in installed | BASE_PACKAGES:
                missing[library] = owner
        self.assertEqual(missing, {})

    def test_runs_as_a_user_and_labels_name_the_image(self):
        self.assertEqual(self.values(self.runtime, "USER"), ["airbyte"])
        labels = dict(rest.split("=", 1) for rest in self.values(self.runtime, "LABEL"))
        metadata = yaml.safe_load(METADATA.read_text())["data"]
        self.assertEqual(labels["io.airbyte.name"], metadata["dockerRepository"])
        self.assertEqual(labels["io.airbyte.version"], metadata["dockerImageTag"])

    def test_dockerignore_keeps_local_state_out(self):
        ignored = [l.strip() for l in DOCKERIGNORE.read_text().splitlines()
                   if l.strip() and not l.startswith("#")]
        for entry in (".git", ".dev-db", "bazel-*", "**/node_modules"):
            self.assertIn(entry, ignored)


class Metadata(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.document = yaml.safe_load(METADATA.read_text())
        cls.data = cls.document["data"]

    def test_required_fields_of_the_metadata_schema(self):
        self.assertEqual(set(self.document), {"data", "metadataSpecVersion"})
        self.assertEqual(self.document["metadataSpecVersion"], "1.0")
        for field in ("name", "definitionId", "connectorType", "dockerRepository",
                      "dockerImageTag", "license", "documentationUrl", "githubIssueLabel",
                      "connectorSubtype", "releaseStage"):
            self.assertIsInstance(self.data.get(field), str, field)
            self.assertTrue(self.data[field], field)

    def test_values(self):
        self.assertEqual(self.data["connectorType"], "source")
        self.assertEqual(self.data["connectorSubtype"], "database")
        self.assertEqual(self.data["releaseStage"], "alpha")
        self.assertEqual(self.data["supportLevel"], "community")
        self.assertIn("language:cpp", self.data["tags"])
        self.assertEqual(str(uuid.UUID(self.data["definitionId"])), self.data["definitionId"])
        self.assertRegex(self.data["dockerImageTag"], r"^\d+\.\d+\.\d+$")
        self.assertRegex(self.data["dockerRepository"], r"^[a-z0-9-]+/source-[a-z0-9-]+$")
        self.assertTrue(self.data["documentationUrl"].startswith("https://"))

    def test_data_channel(self):
        # The platform compares the version as a string with the destination's (current
        # destinations declare "0.0.2") and picks from the serializations and transports.
        channel = self.data["connectorIPCOptions"]["dataChannel"]
        self.assertEqual(channel["version"], "0.0.2")
        self.assertEqual(sorted(channel["supportedSerialization"]), ["JSONL", "PROTOBUF"])
        self.assertEqual(sorted(channel["supportedTransport"]), ["SOCKET", "STDIO"])

    def test_documentation_url_is_the_specs(self):
        out = subprocess.run([str(SHIM), "spec"], capture_output=True, text=True, check=True)
        spec = json.loads(out.stdout)["spec"]
        self.assertEqual(spec["documentationUrl"], self.data["documentationUrl"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
