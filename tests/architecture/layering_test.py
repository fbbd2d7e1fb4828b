"""The service's packages depend on each other one way only (docs/architecture.md): each
package may use the ones below it and never one above. Read from the BUILD files' labels,
so a new dependency upward fails here, naming the two packages and the BUILD file; together
the direct dependencies being downward means no path leads from a lower package to a higher
one."""
import os
import re
import unittest

# Lowest first; a package may depend on those before it.
LAYERS = [
    "common", "pg/copy", "pg", "config", "catalog", "read", "cdc", "airbyte", "session", "server",
]
# Airbyte's conventions (service/airbyte) sit beside the core, not on it: they use the
# contract and common only, and only the layers above the core (and the shim) use them.
AIRBYTE_MAY_USE = {"common"}
RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", ""), "tsdb_source")


def build_file(package):
    return os.path.join(RUNFILES, "service", package, "BUILD")


def dependencies(package):
    """The other service packages that package's BUILD file names."""
    with open(build_file(package)) as f:
        text = f.read()
    found = set()
    for label in re.findall(r'"//service/([a-z_/]+?)(?::[^"]*)?"', text):
        if label != package:
            found.add(label)
    return found


class Layering(unittest.TestCase):
    def test_every_service_package_has_a_layer(self):
        service = os.path.join(RUNFILES, "service")
        packages = {os.path.relpath(root, service) for root, _, files in os.walk(service)
                    if "BUILD" in files and root != service}
        self.assertEqual(packages - set(LAYERS), set(),
                         "a package without a layer: add it to LAYERS and docs/architecture.md")

    def test_no_package_depends_on_one_above_it(self):
        for i, package in enumerate(LAYERS):
            for dep in dependencies(package):
                self.assertIn(dep, LAYERS, "service/%s/BUILD names unknown package %s" % (package, dep))
                self.assertLess(LAYERS.index(dep), i,
                                "service/%s depends on service/%s, which is above it "
                                "(docs/architecture.md)" % (package, dep))

    def test_airbyte_conventions_stay_out_of_the_core(self):
        self.assertLessEqual(dependencies("airbyte"), AIRBYTE_MAY_USE,
                             "service/airbyte may use the contract and service/common only")
        for package in LAYERS[:LAYERS.index("airbyte")]:
            self.assertNotIn("airbyte", dependencies(package),
                             "service/%s (the core) depends on service/airbyte" % package)

    def test_the_check_can_fail(self):
        # A dependency upward, as the read session's used to be (read -> cdc).
        self.assertGreater(LAYERS.index("cdc"), LAYERS.index("read"))


if __name__ == "__main__":
    unittest.main()
