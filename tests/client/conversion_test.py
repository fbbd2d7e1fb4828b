"""Value conversion end to end: PostgreSQL and TimescaleDB values -> Airbyte RECORD data.

Each case is a column type and (SQL literal, expected JSON value) samples; row i of the
table holds sample i of every column. Values are compared exactly: the RECORD lines are
parsed with decimals for non-integers and Python's exact integers, so int8 beyond 2^53 and
numeric digits are checked digit for digit. Every RECORD is also validated against its
stream's discovered json_schema (formats and airbyte_type) by the harness.

NULLED marks a value (or array element) that Airbyte's formats cannot represent (NaN,
infinities, infinite dates, years past 9999): it is null in `data`, and the record's
meta.changes names its column (NULLED, SOURCE_SERIALIZATION_ERROR), once per column; a
record without such values has no `meta`. A SQL NULL is not a change.
"""
import decimal
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TEST_SRCDIR", ""), "tsdb_source", "tests",
                                "airbyte"))
import connector_harness as h  # noqa: E402

D = decimal.Decimal


class _Nulled:
    def __repr__(self):
        return "NULLED"


NULLED = _Nulled()
TEXT = 'tab\there "q" \\ back \x01 \x1f nl\n cr\r del\x7f é ☃ \u2028 \u2029 \U0001F600 /'
ALL_BYTES = bytes(range(256))

# column name -> (SQL type, [(SQL literal, expected value), ...])
PG_COLUMNS = {
    "tz": ("timestamptz", [
        ("'2024-01-02 03:04:05.678+05:30'", "2024-01-01T21:34:05.678+00:00"),
        ("'2024-06-30 23:59:59.999999-07'", "2024-07-01T06:59:59.999999+00:00"),
        ("'infinity'", NULLED), ("'-infinity'", NULLED),
        ("'0044-03-15 12:00:00+00 BC'", "0044-03-15T12:00:00+00:00 BC"),
        ("'1969-12-31 23:59:59.5+00'", "1969-12-31T23:59:59.5+00:00")]),
    "ts": ("timestamp", [
        ("'2024-01-02 03:04:05'", "2024-01-02T03:04:05"),
        ("'2000-02-29 00:00:00.000001'", "2000-02-29T00:00:00.000001"),
        ("'infinity'", NULLED), ("'0001-01-01 00:00:00 BC'", "0001-01-01T00:00:00 BC")]),
    "d": ("date", [("'2024-02-29'", "2024-02-29"), ("'infinity'", NULLED),
                   ("'-infinity'", NULLED), ("'0001-01-01 BC'", "0001-01-01 BC")]),
    "tm": ("time", [("'00:00'", "00:00:00"), ("'24:00:00'", "24:00:00"),
                    ("'13:14:15.000016'", "13:14:15.000016")]),
    "ttz": ("timetz", [("'12:34:56.789+05:30'", "12:34:56.789+05:30"),
                       ("'00:00:00-05'", "00:00:00-05:00"),
                       ("'23:59:59+00'", "23:59:59+00:00")]),
    "i8": ("int8", [("9007199254740993", 9007199254740993),
                    ("-9223372036854775808", -9223372036854775808),
                    ("9223372036854775807", 9223372036854775807)]),
    "i2": ("int2", [("-32768", -32768), ("0", 0)]),
    "n": ("numeric", [
        ("'123456789012345678901234567890.123456789'",
         D("123456789012345678901234567890.123456789")),
        ("0.1", D("0.1")), ("'-0.000000001'", D("-0.000000001")), ("'NaN'", NULLED),
        ("'Infinity'", NULLED), ("'-Infinity'", NULLED), ("'1e-20'", D("1E-20")),
        ("'98765432109876543210'", 98765432109876543210)]),
    "n3": ("numeric(12,3)", [("10.1", D("10.100")), ("-0", D("0"))]),
    "f8": ("float8", [
        ("'NaN'", NULLED), ("'Infinity'", NULLED), ("'-Infinity'", NULLED), ("0.1", D("0.1")),
        ("'1.7976931348623157e308'", D("1.7976931348623157e308")), ("'5e-324'", D("5e-324")),
        ("'-0'", D("0")), ("1e21", D("1e21"))]),
    "f4": ("real", [("3.14", D("3.14")), ("'NaN'", NULLED), ("'-Infinity'", NULLED),
                    ("16777217", 16777216), ("'1e-45'", D("1e-45"))]),
    # bytea as source-postgres writes it: PostgreSQL's hex text (docs/types.md).
    "b": ("bytea", [("'\\x00ff10'", "\\x00ff10"), ("''", "\\x"),
                    ("'\\x%s'" % ALL_BYTES.hex(), "\\x" + ALL_BYTES.hex())]),
    # json and jsonb as their text, strings, as source-postgres writes them: json verbatim,
    # jsonb as jsonb_out normalizes it.
    "j": ("json", [
        ("'{\"a\": [1, 2.50, \"x\"], \"b\": null}'", '{"a": [1, 2.50, "x"], "b": null}'),
        ("E'{\\n  \"x\": \"line\\\\nbreak\",\\r\\n  \"y\": [true, false]\\n}'",
         '{\n  "x": "line\\nbreak",\r\n  "y": [true, false]\n}'),
        ("'\"str\"'", '"str"'), ("'null'", "null"),
        ("'12345678901234567890123'", "12345678901234567890123"),
        ("'\"\\u00e9\u2028\"'", '"\\u00e9\u2028"')]),
    "jb": ("jsonb", [("'{\"k\": \"v\\nw\", \"n\": 1.50}'", '{"k": "v\\nw", "n": 1.50}'),
                     ("'[]'", "[]"), ("'3.0e10'", "30000000000"),
                     ("'{ \"deep\":{\"er\": [{\"est\": null}]}}'",
                      '{"deep": {"er": [{"est": null}]}}')]),
    "ai": ("int4[]", [("'{1,NULL,3}'", [1, None, 3]), ("'{}'", [])]),
    "at": ("text[]", [("ARRAY['a\"b', 'c,d', NULL, '', 'x\\y']", ['a"b', "c,d", None, "", "x\\y"])]),
    "tza": ("timestamptz[]", [("'{\"2024-01-01 00:00+00\",infinity}'",
                               ["2024-01-01T00:00:00+00:00", NULLED])]),
    "na": ("numeric[]", [("'{1.5,NaN,-Infinity,0.10}'", [D("1.5"), NULLED, NULLED, D("0.10")]),
                         ("'{NULL,2}'", [None, 2])]),
    "ra": ("real[]", [("'{3.14,NaN}'", [D("3.14"), NULLED])]),
    "f8a": ("float8[]", [("'{1,NULL}'", [1, None]), ("'{Infinity}'", [NULLED])]),
    "da": ("date[]", [("'{2024-01-01,NULL}'", ["2024-01-01", None]),
                      ("'{-infinity,infinity,1999-12-31}'", [NULLED, NULLED, "1999-12-31"])]),
    "ba": ("bytea[]", [("ARRAY['\\x01'::bytea, NULL]", ["AQ==", None])]),
    "ja": ("jsonb[]", [("ARRAY['{\"a\": 1}'::jsonb, '[]'::jsonb]", ['{"a": 1}', "[]"])]),
    # money as a number (source-postgres's), exactly: money::numeric keeps the locale's
    # decimal places, and the largest money fits.
    "mo": ("money", [("12.5", D("12.50")), ("'-1000'", D("-1000.00")),
                     ("'92233720368547758.07'", D("92233720368547758.07"))]),
    "moa": ("money[]", [("'{1.5,NULL}'", [D("1.50"), None])]),
    # numeric(p,0): an integer in the schema (source-postgres's), digits exact.
    "n0": ("numeric(20,0)", [("'12345678901234567890'", 12345678901234567890),
                             ("'NaN'", NULLED), ("-7", -7)]),
    # interval as PostgreSQL's default IntervalStyle prints it (source-postgres's text).
    "iv": ("interval", [("'1 year 2 months 3 days 04:05:06.5'", "1 year 2 mons 3 days 04:05:06.5"),
                        ("'-178000000 seconds'", "-49444:26:40"), ("'0'", "00:00:00")]),
    "ia": ("interval[]", [("'{1 day,-00:00:01}'", ["1 day", "-00:00:01"])]),
    # Arrays of types without a binary decoder: arrays of their elements' texts (an array
    # column in source-postgres too, never a string).
    "pa": ("point[]", [("'{\"(1,2)\",NULL}'", ["(1,2)", None]), ("'{}'", [])]),
    "ma": ("{schema}.mood[]", [("'{happy,sad}'", ["happy", "sad"])]),
    "bia": ("bit(3)[]", [("'{101,010}'", ["101", "010"])]),
    "bo": ("bool[]", [("'{t,f,NULL}'", [True, False, None])]),
    "tx": ("text", [("E'%s'" % TEXT.replace("\\", "\\\\").replace("'", "''")
                     .replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
                     .replace("\x01", "\\x01").replace("\x1f", "\\x1f"), TEXT),
                    ("''", ""), ("'0'", "0")]),
    "u": ("uuid", [("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
                    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")]),
    "ip": ("inet", [("'192.168.0.1/24'", "192.168.0.1/24"), ("'::1'", "::1")]),
    "m": ("{schema}.mood", [("'happy'", "happy")]),
    "p": ("{schema}.posint", [("5", 5)]),
    'we"ird\nname': ("text", [("'x'", "x")]),
    "ch": ("char(3)", [("'ab'", "ab ")]),
    "bo1": ("boolean", [("true", True), ("false", False)]),
}

# A hypertable with one compressed and one uncompressed chunk holds each sample twice.
TS_COLUMNS = {name: PG_COLUMNS[name] for name in (
    "tz", "d", "ttz", "i8", "n", "f8", "f4", "b", "jb", "ai", "at", "na", "tx", "u", "mo", "n0",
    "iv")}


def build_table(db, schema, table, columns, time_column=False):
    """Creates schema.table with an id column and `columns`; row i holds sample i of each
    column (NULL past its samples). Returns the number of rows."""
    rows = max(len(samples) for _, samples in columns.values())
    names = ['"%s"' % n.replace('"', '""') for n in columns]
    types = [t.format(schema=schema) for t, _ in columns.values()]
    ddl = "CREATE TABLE %s.%s (id int NOT NULL%s, %s);" % (
        schema, table, ", ht_time timestamptz NOT NULL" if time_column else "",
        ", ".join("%s %s" % (n, t) for n, t in zip(names, types)))
    values = []
    for i in range(rows):
        literals = [samples[i][0] if i < len(samples) else "NULL" for _, samples in columns.values()]
        values.append("(%d%s, %s)" % (i, ", '2024-01-01'::timestamptz" if time_column else "",
                                      ", ".join(literals)))
    db.sql("%s\nINSERT INTO %s.%s VALUES %s;" % (ddl, schema, table, ",\n".join(values)))
    return rows


def _unmark(value):
    if value is NULLED:
        return None
    if isinstance(value, list):
        return [_unmark(v) for v in value]
    return value


def _has_nulled(value):
    return value is NULLED or (isinstance(value, list) and any(_has_nulled(v) for v in value))


def expected_row(columns, i):
    return {name: _unmark(samples[i][1]) if i < len(samples) else None
            for name, (_, samples) in columns.items()}


def nulled_columns(columns, i):
    """The columns of row i that meta.changes names, in column order."""
    return [name for name, (_, samples) in columns.items()
            if i < len(samples) and _has_nulled(samples[i][1])]


def changes(*fields):
    return {"changes": [{"field": f, "change": "NULLED", "reason": "SOURCE_SERIALIZATION_ERROR"}
                        for f in fields]}


def nulled_warnings(out):
    """The WARN LOGs about nulled values (one per stream and column)."""
    return [m for m in out.logs("WARN") if "meta.changes" in m]


class ConversionBase:
    SERVER = None

    @classmethod
    def setUpClass(cls):
        cls.db = h.Database(cls.SERVER)
        cls.schema = h.unique("conv_" + cls.SERVER)
        cls.addClassCleanup(cls.db.sql, "DROP SCHEMA IF EXISTS %s CASCADE;" % cls.schema)
        cls.db.sql("CREATE SCHEMA %s;" % cls.schema)

    def setUp(self):
        self.shim = h.Shim()
        self.config = self.shim.write("config.json", self.db.config([self.schema]))

    def tearDown(self):
        self.shim.close()

    def discover(self):
        out = self.shim.run("discover", "--config", self.config)
        return out.of_type("CATALOG")[0]["catalog"]

    def read(self, names, **kwargs):
        catalog = h.configured_catalog(self.discover(), names=names)
        return self.shim.run("read", "--config", self.config,
                             "--catalog", self.shim.write("catalog.json", catalog), **kwargs)

    def assert_rows(self, out, table, columns, rows, copies=1):
        records = out.exact_records(table)
        self.assertEqual(len(records), rows * copies)
        by_id = {}
        for record in records:
            by_id.setdefault(record["data"]["id"], []).append(record)
        for i in range(rows):
            expected = expected_row(columns, i)
            nulled = nulled_columns(columns, i)
            for record in by_id[i]:
                data = record["data"]
                for name, value in expected.items():
                    self.assertEqual(data[name], value, "row %d, column %r" % (i, name))
                    # Decimal("1.5") == 1.5 would pass for a float: check the JSON type too.
                    self.assertEqual(type(data[name]) is bool, type(value) is bool, name)
                self.assertEqual(list(data)[-len(columns):], list(columns))
                if nulled:
                    self.assertEqual(record["meta"], changes(*nulled), "row %d" % i)
                    self.assertEqual(list(record), ["stream", "namespace", "emitted_at", "data",
                                                    "meta"])
                else:
                    self.assertNotIn("meta", record, "row %d" % i)
        # One WARN LOG per nulled column, naming the stream, the column and the reason.
        warned = sorted(name for name, (_, samples) in columns.items()
                        if any(_has_nulled(v) for _, v in samples))
        self.assertTrue(warned)
        warnings = nulled_warnings(out)
        self.assertEqual(len(warnings), len(warned), warnings)
        for name in warned:
            matching = [w for w in warnings if 'column "%s" ' % name in w]
            self.assertEqual(len(matching), 1, (name, warnings))
            self.assertIn("stream %s.%s: " % (self.schema, table), matching[0])
            self.assertIn("not representable in Airbyte's format", matching[0])


class PostgresConversion(ConversionBase, unittest.TestCase):
    SERVER = "pg"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db.sql("CREATE TYPE %s.mood AS ENUM ('sad', 'happy');"
                   "CREATE DOMAIN %s.posint AS int CHECK (VALUE > 0);" % (cls.schema, cls.schema))
        cls.rows = build_table(cls.db, cls.schema, "conv", PG_COLUMNS)

    def test_every_value_converts_exactly(self):
        out = self.read(["conv"])
        self.assert_rows(out, "conv", PG_COLUMNS, self.rows)

    def test_hstore_is_json_object_text(self):
        # source-postgres writes hstore as JSON object text. The extension goes into this
        # test's schema (dropped with it) unless the database has it already: the type is
        # then "<schema>.hstore" outside the search path.
        where = self.db.sql("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                            " ON n.oid = e.extnamespace WHERE e.extname = 'hstore';").strip()
        if not where:
            self.db.sql("CREATE EXTENSION hstore SCHEMA %s;" % self.schema)
            where = self.schema
        self.db.sql("CREATE TABLE %s.hs (id int PRIMARY KEY, h %s.hstore);"
                    "INSERT INTO %s.hs VALUES (1, 'a=>1, \"b c\"=>NULL'), (2, ''), (3, NULL);"
                    % (self.schema, where, self.schema))
        try:
            out = self.read(["hs"])
        finally:
            self.db.sql("DROP TABLE %s.hs;" % self.schema)
        self.assertEqual({d["id"]: d["h"] for d in out.data("hs")},
                         {1: '{"a": "1", "b c": null}', 2: "{}", 3: None})

    def test_raw_output_keeps_digits_and_escapes(self):
        out = self.read(["conv"])
        raw = out.stdout
        # numeric and int8 digits verbatim, never through a double.
        self.assertIn(b'"n":123456789012345678901234567890.123456789,', raw)
        self.assertIn(b'"i8":9007199254740993,', raw)
        self.assertIn(b'"n":98765432109876543210,', raw)
        # Control characters and the JavaScript line terminators escaped; one line per message.
        self.assertIn(b'\\t', raw)
        self.assertIn(b'\\u0001', raw)
        self.assertIn(b'\\u001f', raw)
        self.assertIn(b'\\u2028', raw)
        self.assertIn(b'\\u2029', raw)
        self.assertNotIn("\u2028".encode(), raw)
        self.assertNotIn("\u2029".encode(), raw)
        for byte in range(0x20):
            if byte != 0x0A:
                self.assertNotIn(bytes([byte]), raw, "raw control byte 0x%02x" % byte)
        self.assertEqual(raw.count(b"\n"), len(out.messages))
        # The column name with a quote and a newline is an escaped key.
        self.assertIn(b'"we\\"ird\\nname":"x"', raw)

    def test_timestamptz_has_an_explicit_offset(self):
        out = self.read(["conv"])
        values = [d["tz"] for d in out.data("conv") if d["tz"] is not None]
        self.assertTrue(values)
        for value in values:
            self.assertRegex(value, r"T\d\d:\d\d:\d\d(\.\d+)?\+00:00( BC)?$")

    def test_multidimensional_array_values(self):
        # PostgreSQL's int[] and int[][] are one type: the value keeps its dimensions.
        self.db.sql("CREATE TABLE %s.grid (id int PRIMARY KEY, g int[]);"
                    "INSERT INTO %s.grid VALUES (1, '{{1,2},{3,4}}'), (2, '{{{NULL}}}'), (3, '{5}');"
                    % (self.schema, self.schema))
        try:
            catalog = h.configured_catalog(self.discover(), names=["grid"])
            # The messages are validated, the records not against the discovered schema:
            # see the expected failure below.
            loose = {"streams": [dict(e, stream=dict(e["stream"], json_schema={"type": "object"}))
                                 for e in catalog["streams"]]}
            out = self.shim.run("read", "--config", self.config,
                                "--catalog", self.shim.write("catalog.json", catalog),
                                catalog=loose)
        finally:
            self.db.sql("DROP TABLE %s.grid;" % self.schema)
        self.assertEqual({d["id"]: d["g"] for d in out.data("grid")},
                         {1: [[1, 2], [3, 4]], 2: [[[None]]], 3: [5]})

    def test_multidimensional_array_matches_its_schema(self):
        # PostgreSQL does not enforce a column's declared dimensions: discover's schema lets
        # each level of items be an element or a nested array, down to the sixth dimension.
        self.db.sql("CREATE TABLE %s.grid2 (id int PRIMARY KEY, g int[], d date[]);"
                    "INSERT INTO %s.grid2 VALUES (1, '{{1,2},{3,4}}', '{{2024-01-01},{infinity}}'),"
                    " (2, '{{{{{{7}}}}}}', '{{{{{{2024-02-29}}}}}}'), (3, '{}', '{NULL}');"
                    % (self.schema, self.schema))
        try:
            out = self.read(["grid2"])
        finally:
            self.db.sql("DROP TABLE %s.grid2;" % self.schema)
        self.assertEqual({d["id"]: (d["g"], d["d"]) for d in out.data("grid2")}, {
            1: ([[1, 2], [3, 4]], [["2024-01-01"], [None]]),
            2: ([[[[[[7]]]]]], [[[[[["2024-02-29"]]]]]]),
            3: ([], [None])})
        # The infinity inside the 2-D array is nulled, the SQL NULL element is not.
        self.assertEqual({r["data"]["id"]: r.get("meta") for r in out.records("grid2")},
                         {1: changes("d"), 2: None, 3: None})

    def test_years_past_9999(self):
        # The well-known patterns take exactly 4 digits: later years are nulled, and each
        # record says so in meta.changes (the harness validates strictly: no long years).
        self.db.sql("CREATE TABLE %s.far (id int PRIMARY KEY, t timestamptz, d date, da date[],"
                    ' "odd ""q"" é" numeric);'
                    "INSERT INTO %s.far VALUES"
                    " (1, '294246-12-31 23:59:59.999999+00', '5874897-12-31', NULL, 'NaN'),"
                    " (2, '10000-01-01 00:00+00', '10000-01-01', '{2024-01-01,10000-01-01,NULL}', 1),"
                    " (3, '9999-12-31 23:59:59.999999+00', '9999-12-31', '{9999-12-31}', NULL),"
                    " (4, '4713-01-01 00:00+00 BC', '4713-01-01 BC', '{10000-02-01,20000-03-01}', 2);"
                    % (self.schema, self.schema))
        try:
            out = self.read(["far"])
        finally:
            self.db.sql("DROP TABLE %s.far;" % self.schema)
        odd = 'odd "q" é'
        self.assertEqual({r["data"]["id"]: (r["data"]["t"], r["data"]["d"], r["data"]["da"],
                                            r["data"][odd], r.get("meta"))
                          for r in out.exact_records("far")}, {
            1: (None, None, None, None, changes("t", "d", odd)),
            2: (None, None, ["2024-01-01", None, None], 1, changes("t", "d", "da")),
            3: ("9999-12-31T23:59:59.999999+00:00", "9999-12-31", ["9999-12-31"], None, None),
            4: ("4713-01-01T00:00:00+00:00 BC", "4713-01-01 BC", [None, None], 2, changes("da"))})
        # The column name is JSON-escaped in meta.changes.
        self.assertIn(b'{"field":"odd \\"q\\" \xc3\xa9","change":"NULLED",'
                      b'"reason":"SOURCE_SERIALIZATION_ERROR"}', out.stdout)
        # One WARN LOG per column, however many of its values were nulled.
        warnings = nulled_warnings(out)
        self.assertEqual(len(warnings), 4, warnings)
        for column, reason in (("t", "infinite timestamp or year past 9999"),
                               ("d", "infinite date or year past 9999"),
                               ("da", "infinite date or year past 9999"),
                               (odd, "NaN or Infinity")):
            matching = [w for w in warnings if 'column "%s" ' % column in w]
            self.assertEqual(len(matching), 1, (column, warnings))
            self.assertIn("stream %s.far: " % self.schema, matching[0])
            self.assertIn(reason, matching[0])
            self.assertIn("emitted as null", matching[0])
            self.assertIn("meta.changes", matching[0])

    def test_records_without_nulled_values_have_no_meta(self):
        self.db.sql("CREATE TABLE %s.plain (id int PRIMARY KEY, f float8, n numeric, d date,"
                    " a float8[]);"
                    "INSERT INTO %s.plain VALUES (1, 1.5, 2, '2024-01-01', '{1,NULL}'),"
                    " (2, NULL, NULL, NULL, NULL);" % (self.schema, self.schema))
        try:
            out = self.read(["plain"])
        finally:
            self.db.sql("DROP TABLE %s.plain;" % self.schema)
        records = out.records("plain")
        self.assertEqual(len(records), 2)
        for record in records:
            self.assertNotIn("meta", record)
        self.assertNotIn(b'"meta"', out.stdout)
        self.assertEqual(nulled_warnings(out), [])


class InvalidUtf8(unittest.TestCase):
    """A SQL_ASCII database stores any bytes as text: invalid UTF-8 must never become invalid
    JSON. Either the bytes arrive and are replaced by U+FFFD, or the read fails with one
    TRACE ERROR (today: the server refuses to convert them to the UTF8 client encoding)."""

    def test_invalid_utf8_never_produces_invalid_json(self):
        db = h.Database("pg")
        name = h.unique("ascii")
        db.sql("CREATE DATABASE %s ENCODING 'SQL_ASCII' TEMPLATE template0 "
               "LC_COLLATE 'C' LC_CTYPE 'C';" % name)
        shim = h.Shim()
        try:
            ascii_db = h.Database("pg")
            ascii_db.database = name
            ascii_db.sql("CREATE TABLE public.raw (id int PRIMARY KEY, t text);"
                         "INSERT INTO public.raw VALUES (1, E'ok \\xff\\xfe bad \\xc3\\xa9 good');")
            config = shim.write("config.json", ascii_db.config(["public"]))
            catalog = h.configured_catalog(
                shim.run("discover", "--config", config).of_type("CATALOG")[0]["catalog"])
            out = shim.run("read", "--config", config,
                           "--catalog", shim.write("catalog.json", catalog), expect_rc=None)
            # The harness has validated every line; now the outcome.
            if out.rc == 0:
                self.assertEqual(out.data("raw"), [{"id": 1, "t": "ok \ufffd\ufffd bad é good"}])
            else:
                self.assertEqual(out.records(), [])
                self.assertIn("UTF8", out.errors()[0]["message"])
        finally:
            shim.close()
            db.sql("DROP DATABASE IF EXISTS %s;" % name)


class TimescaleConversion(ConversionBase, unittest.TestCase):
    SERVER = "ts"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Two copies of every row: one in a chunk that gets compressed, one in a later chunk.
        cls.rows = build_table(cls.db, cls.schema, "conv", TS_COLUMNS, time_column=True)
        cls.db.sql("""
            SELECT create_hypertable('{s}.conv', 'ht_time', chunk_time_interval => interval '1 day',
                                     migrate_data => true);
            INSERT INTO {s}.conv SELECT id, ht_time + interval '2 days', {cols} FROM {s}.conv;
            ALTER TABLE {s}.conv SET (timescaledb.compress);
            SELECT count(compress_chunk(c))
              FROM show_chunks('{s}.conv', older_than => '2024-01-02'::timestamptz) c;
            """.format(s=cls.schema, cols=", ".join(
                '"%s"' % n.replace('"', '""') for n in TS_COLUMNS)))

    def test_every_value_converts_exactly_from_plain_and_compressed_chunks(self):
        catalog = self.discover()
        stream = [s for s in catalog["streams"] if s["name"] == "conv"][0]
        self.assertEqual(stream["timescaledb"]["relation_kind"], "HYPERTABLE")
        self.assertEqual(int(stream["timescaledb"]["hypertable"].get("num_compressed_chunks", 0)), 1)
        out = self.read(["conv"])
        self.assert_rows(out, "conv", TS_COLUMNS, self.rows, copies=2)
        self.assertIn(b'"i8":9007199254740993,', out.stdout)
        self.assertIn(b'"n":123456789012345678901234567890.123456789,', out.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
