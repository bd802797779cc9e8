#!/usr/bin/env python3
"""Seed inputs for the fuzz targets (Python 3 standard library only).

  seeds.py handmade DIR    writes the small inputs committed in Fuzz/seeds/<target>/
                           (made here from scratch, deterministic: rerun to check)
  seeds.py crafted DIR     writes the crash inputs of Fuzz/regressions/ that were
                           written by hand from the code (not found by the fuzzer)
  seeds.py reference DIR   derives inputs from the real files at run time:
                           ../shared/reference (or $LANDSCAPE_REFERENCE) and
                           /usr/share/datasets/fashion-mnist (or $FASHION_MNIST).
                           Slices and re-packings only; never committed
                           (the reference files must not be copied into the project).
  seeds.py bomb FILE MIB   writes a gzip bomb: MIB MiB of zeros in about MIB KiB
                           (a regression input generated at run time, too big to commit).

Target layouts (see Fuzz/Sources/fuzz-*/):
  idx   2-byte big-endian length L, L bytes of the labels file, then the images file.
  the others: the file or request itself.
"""
import gzip
import io
import os
import pickle
import pickletools
import struct
import sys
import types
import zipfile
import zlib
from collections import OrderedDict

TARGETS = ["safetensors", "zip", "pickle", "idx", "cifar", "gzip", "http"]


def write(root, target, name, data):
    folder = os.path.join(root, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- safetensors

def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, bytes)] -> safetensors bytes (offsets in list order)."""
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    import json
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the reference writer pads the header to 8 bytes
    return struct.pack("<Q", len(text)) + text + data


# ---------------------------------------------------------------- torch pickles without torch

def fake_torch():
    """Just enough module objects for pickle to write torch's globals by name."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")
    collections_module = sys.modules["collections"]

    def _rebuild_tensor_v2(*args):
        raise NotImplementedError

    def _rebuild_tensor(*args):
        raise NotImplementedError

    def _rebuild_parameter(*args):
        raise NotImplementedError

    for f in (_rebuild_tensor_v2, _rebuild_tensor, _rebuild_parameter):
        f.__module__, f.__qualname__ = "torch._utils", f.__name__
        setattr(utils, f.__name__, f)
    storages = {}
    for name in ["FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage",
                 "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage"]:
        cls = type(name, (), {})
        cls.__module__ = "torch"
        setattr(torch, name, cls)
        storages[name] = cls
    torch._utils = utils
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    assert collections_module.OrderedDict is OrderedDict
    return torch, utils


TORCH, TORCH_UTILS = fake_torch()


class Storage:
    def __init__(self, kind, key, numel, view=None, legacy=False):
        self.kind, self.key, self.numel, self.view, self.legacy = kind, key, numel, view, legacy

    def pid(self):
        base = ("storage", getattr(TORCH, self.kind), self.key, "cpu", self.numel)
        return base + (self.view,) if self.legacy else base


class Tensor:
    def __init__(self, storage, offset, size, stride, v2=True, parameter=False):
        self.storage, self.offset, self.size, self.stride, self.v2 = storage, offset, size, stride, v2
        self.parameter = parameter

    def __reduce__(self):
        if self.v2:
            inner = (TORCH_UTILS._rebuild_tensor_v2, (self.storage, self.offset, tuple(self.size), tuple(self.stride),
                                                        False, OrderedDict()))
        else:
            inner = (TORCH_UTILS._rebuild_tensor, (self.storage, self.offset, tuple(self.size), tuple(self.stride)))
        if self.parameter:
            return (TORCH_UTILS._rebuild_parameter, (_Reduced(inner), False, OrderedDict()))
        return inner


class _Reduced:
    def __init__(self, reduced):
        self.reduced = reduced

    def __reduce__(self):
        return self.reduced


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid() if isinstance(obj, Storage) else None


def torch_pickle(obj, protocol=2):
    out = io.BytesIO()
    TorchPickler(out, protocol=protocol).dump(obj)
    return out.getvalue()


def floats(values):
    return struct.pack("<%df" % len(values), *values)


def legacy_checkpoint(obj, storages):
    """torch.save's legacy format: magic, protocol, sys_info, object, keys, then each storage."""
    sys_info = {"protocol_version": 1001, "little_endian": True,
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    out = torch_pickle(0x1950a86a20f9469cfc6c) + torch_pickle(1001) + torch_pickle(sys_info)
    out += torch_pickle(obj) + torch_pickle([s.key for s, _ in storages])
    for storage, raw in storages:
        out += struct.pack("<q", storage.numel) + raw
    return out


# ---------------------------------------------------------------- zip writer (torch style: zip64 records)

def zip_archive(members, zip64=True, deflate=()):
    """members: [(name, bytes)]. Stored, or deflated for names in `deflate`.
    zip64: saturate the central directory's sizes/offsets at 0xffffffff with a
    zip64 extra field, and add the zip64 end record and locator (as torch does)."""
    out, central = b"", b""
    for name, data in members:
        name_bytes = name.encode()
        crc = zlib.crc32(data)
        method = 8 if name in deflate else 0
        if method == 8:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            payload = c.compress(data) + c.flush()
        else:
            payload = data
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, method, 0, 0x21, crc, len(payload), len(data),
                           len(name_bytes), 0) + name_bytes + payload
        if zip64:
            extra = struct.pack("<HHQQQ", 1, 24, len(data), len(payload), offset)
            sizes = (0xffffffff, 0xffffffff, 0xffffffff)
        else:
            extra, sizes = b"", (len(payload), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, method, 0, 0x21, crc, sizes[0], sizes[1],
                               len(name_bytes), len(extra), 0, 0, 0, 0, sizes[2]) + name_bytes + extra
    directory_offset = len(out)
    out += central
    if zip64:
        end64 = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, len(members), len(members),
                           len(central), directory_offset)
        out += struct.pack("<IIQI", 0x07064b50, 0, end64, 1)
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0)
    else:
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(members), len(members), len(central),
                           directory_offset, 0)
    return out


def torch_zip(obj, storages, prefix="archive", **options):
    members = [(prefix + "/data.pkl", torch_pickle(obj)), (prefix + "/byteorder", b"little")]
    members += [(prefix + "/data/" + s.key, raw) for s, raw in storages]
    members += [(prefix + "/version", b"3\n")]
    return zip_archive(members, **options)


# ---------------------------------------------------------------- datasets

def idx_pair(labels, images, rows, cols):
    """The idx target's input: 2-byte length, labels file, images file."""
    label_file = struct.pack(">II", 0x801, len(labels)) + bytes(labels)
    image_file = struct.pack(">IIII", 0x803, len(labels), rows, cols) + bytes(images)
    return label_file, image_file


def idx_input(label_file, image_file):
    return struct.pack(">H", len(label_file)) + label_file + image_file


def gz(data, **kwargs):
    return gzip.compress(data, mtime=0, **kwargs)


def cifar_records(count):
    out = b""
    for r in range(count):
        out += bytes([r % 10]) + bytes((r * 37 + i * 11) % 256 for i in range(3072))
    return out


# ---------------------------------------------------------------- handmade (committed)

def handmade(root):
    # safetensors: every dtype, an empty tensor, metadata, odd shapes.
    write(root, "safetensors", "f32-metadata.safetensors",
          safetensors([("w", "F32", [2, 2], floats([1, -2, 3.5, 0]))], {"arch": "resnet20", "activation": "relu"}))
    write(root, "safetensors", "all-dtypes.safetensors", safetensors([
        ("f64", "F64", [2], struct.pack("<2d", 1.5, -0.0)),
        ("f16", "F16", [3], struct.pack("<3H", 0x3c00, 0x7c00, 0x0001)),
        ("bf16", "BF16", [2], struct.pack("<2H", 0x3f80, 0xff80)),
        ("i64", "I64", [1], struct.pack("<q", -(1 << 40))),
        ("i32", "I32", [1], struct.pack("<i", -7)),
        ("i16", "I16", [1], struct.pack("<h", 300)),
        ("i8", "I8", [2], bytes([0x80, 0x7f])),
        ("u8", "U8", [2], bytes([0, 255])),
        ("bool", "BOOL", [2], bytes([0, 1])),
        ("empty", "F32", [0, 3], b""),
        ("scalar", "F32", [], floats([42])),
    ]))
    write(root, "safetensors", "empty-header.safetensors", struct.pack("<Q", 2) + b"{}")

    # zip: a complete small torch.save zip, one deflated, one without zip64 records.
    conv = Storage("FloatStorage", "0", 8)
    bias = Storage("FloatStorage", "1", 2)
    state = OrderedDict([("conv.weight", Tensor(conv, 0, [2, 2, 2], [4, 2, 1])),
                         ("conv.bias", Tensor(bias, 0, [2], [1])),
                         ("transposed", Tensor(conv, 1, [2, 2], [1, 2])),
                         ("steps", 3)])
    storages = [(conv, floats(range(8))), (bias, floats([0.5, -0.5]))]
    write(root, "zip", "state-dict-zip64.pt", torch_zip(state, storages))
    write(root, "zip", "deflated.pt", torch_zip(state, storages, zip64=False,
                                                 deflate={"archive/data.pkl", "archive/data/0"}))
    wrapped = {"state_dict": state, "epoch": 3, "best_prec1": 91.5, "note": "fuzz seed"}
    write(root, "zip", "wrapped-prefixed.pt", torch_zip(wrapped, storages, prefix="model", zip64=False))

    # pickle: the zip format's data.pkl (the target wraps it in a ZIP whose
    # storages "0".."3" hold 256 float32s each), a complete legacy file, and
    # pickles of plain objects at every protocol (memo, frames, sets, bytes...).
    p0 = Storage("FloatStorage", "0", 6)
    p1 = Storage("HalfStorage", "1", 4)
    p2 = Storage("LongStorage", "2", 2)
    zip_state = OrderedDict([("a", Tensor(p0, 0, [2, 3], [3, 1])),
                             ("a.t", Tensor(p0, 0, [3, 2], [1, 3], v2=False)),
                             ("h", Tensor(p1, 1, [3], [1], parameter=True)),
                             ("n", Tensor(p2, 0, [2], [1])),
                             ("module.x", Tensor(p0, 5, [1], [1]))])
    write(root, "pickle", "zip-data.pkl", torch_pickle(zip_state))
    write(root, "pickle", "zip-data-proto4.pkl", torch_pickle({"state_dict": zip_state, "epoch": 1}, protocol=4))
    l0 = Storage("FloatStorage", "94001", 6, legacy=True)
    view = Storage("FloatStorage", "94001", 6, view=("94002", 2, 4), legacy=True)
    legacy_state = OrderedDict([("module.w", Tensor(l0, 0, [2, 3], [3, 1], v2=False)),
                                ("module.v", Tensor(view, 0, [4], [1], v2=False))])
    write(root, "pickle", "legacy.th", legacy_checkpoint({"best_prec1": 91.78, "state_dict": legacy_state},
                                                         [(l0, floats([1, 2, 3, 4, 5, 6]))]))
    plain = {"ints": [0, 1, -1, 255, 256, 65535, 65536, -(1 << 31), (1 << 63) - 1, 1 << 80, -(1 << 70)],
             "floats": (0.5, -1e300, float("inf")), "text": "héllo" * 3, "bytes": b"\x00\x01",
             "nested": [[{"k": (1, 2, 3)}]], "none": None, "bools": [True, False],
             "set": {1, 2}, "frozen": frozenset({3}), "bytearray": bytearray(b"xyz"),
             "big": "x" * 300, "empty": ((), [], {})}
    shared = ["shared"]
    plain["memo"] = [shared, shared, shared]
    for protocol in (2, 3, 4, 5):
        # Only what each protocol writes with opcodes (no builtins.set / _codecs
        # globals, which the allow-list refuses at once).
        own = dict(plain)
        if protocol < 5:
            del own["bytearray"]
        if protocol < 4:
            del own["set"], own["frozen"]
        if protocol < 3:
            del own["bytes"]
        write(root, "pickle", "plain-proto%d.pkl" % protocol, pickle.dumps(own, protocol=protocol))

    # idx: a 2-image Fashion-style pair, raw and gzipped, and a 1x1 one.
    labels, images = idx_pair([3, 9], bytes(range(2 * 3 * 4)), 3, 4)
    write(root, "idx", "two-images", idx_input(labels, images))
    write(root, "idx", "two-images-gzip", idx_input(gz(labels), gz(images)))
    write(root, "idx", "one-pixel", idx_input(*idx_pair([0], b"\x80", 1, 1)))

    # cifar: one and two records (made-up pixels).
    write(root, "cifar", "one-record.bin", cifar_records(1))
    write(root, "cifar", "two-records.bin", cifar_records(2))

    # gzip: one record gzipped; two members; header with FEXTRA/FNAME/FCOMMENT/FHCRC; stored blocks.
    record = cifar_records(1)
    write(root, "gzip", "one-record.bin.gz", gz(record))
    write(root, "gzip", "two-members.bin.gz", gz(record[:1000]) + gz(record[1000:]))
    header = struct.pack("<BBBBIBB", 0x1f, 0x8b, 8, 0x1e, 0, 0, 3)
    header += struct.pack("<H", 4) + b"ab\x00\x00" + b"name.bin\x00" + b"comment\x00"
    header += struct.pack("<H", zlib.crc32(header) & 0xffff)
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = c.compress(record) + c.flush()
    write(root, "gzip", "all-header-fields.bin.gz", header + body + struct.pack("<II", zlib.crc32(record), len(record)))
    write(root, "gzip", "stored.bin.gz", gz(record, compresslevel=0))

    # http: what the service receives, and the decoder's edge cases.
    requests = {
        "get": b"GET /api/jobs?limit=10&state=running HTTP/1.1\r\nHost: localhost:8080\r\nAccept: */*\r\n\r\n",
        "post-json": b"POST /api/surfaces HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 27\r\n\r\n{\"grid\":[5,5],\"seed\":12345}",
        "pipelined": b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                     b"GET /c%20d/%2F?x=%41+b&y HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        "absolute-form": b"GET http://example.com:80/p?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "options-star": b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        "expect-continue": b"PUT /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
        "http10": b"\r\n\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "chunked": b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "content-length-list": b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\n\r\nhi",
        "events": b"GET /api/jobs/7/events HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n"
                  b"Cache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n\r\n",
    }
    for name, data in requests.items():
        write(root, "http", name + ".http", data)


# ---------------------------------------------------------------- reference (run time only)

def reference(root, ref_dir, fashion_dir):
    made = []

    def put(target, name, data):
        write(root, target, name, data)
        made.append("%s/%s (%d bytes)" % (target, name, len(data)))

    def ref(name):
        path = os.path.join(ref_dir, name)
        if not os.path.exists(path):
            print("seeds.py: %s not found, skipped" % path, file=sys.stderr)
            return None
        with open(path, "rb") as f:
            return f.read()

    # safetensors: the real header and metadata, re-packed with as many of the
    # smallest tensors as fit in 16 KiB (offsets rebased).
    for name in ["resnet20-akamaster.safetensors", "hessian-v.safetensors"]:
        data = ref(name)
        if data is None:
            continue
        import json
        (length,) = struct.unpack_from("<Q", data)
        header = json.loads(data[8:8 + length])
        metadata = header.pop("__metadata__", None)
        chosen, total = [], 0
        for tensor_name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][1] - kv[1]["data_offsets"][0]):
            begin, end = entry["data_offsets"]
            if total + end - begin > 16384:
                break
            chosen.append((tensor_name, entry["dtype"], entry["shape"], data[8 + length + begin:8 + length + end]))
            total += end - begin
        put("safetensors", name.replace(".safetensors", "-small.safetensors"), safetensors(chosen, metadata))

    # zip + pickle: the real data.pkl; the real archive re-packed (same member
    # names, torch-style zip64 records) with every storage cut to 64 bytes.
    data = ref("resnet20-akamaster.pt")
    if data is not None:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = []
        for info in archive.infolist():
            content = archive.read(info)
            if "/data/" in info.filename:
                content = content[:64]
            members.append((info.filename, content))
            if info.filename.endswith("/data.pkl"):
                put("pickle", "resnet20-data.pkl", content)
        put("zip", "resnet20-cut-storages.pt", zip_archive(members))

    # pickle: the legacy .th up to its storage data (its five pickles), and
    # with the first storage's length field and a few bytes of data.
    data = ref("resnet20-akamaster.th")
    if data is not None:
        stream = io.BytesIO(data)
        for _ in range(5):
            for opcode, arg, position in pickletools.genops(stream):
                pass
        end = stream.tell()
        put("pickle", "resnet20-legacy-pickles.th", data[:end])
        put("pickle", "resnet20-legacy-head.th", data[:end + 8 + 256])

    # cifar + gzip: the first records of the real test batch, raw and gzipped.
    data = ref("cifar10-test-head.bin")
    if data is not None:
        put("cifar", "cifar10-head-1.bin", data[:3073])
        put("cifar", "cifar10-head-3.bin", data[3073:4 * 3073])
        put("gzip", "cifar10-head-2.bin.gz", gz(data[:2 * 3073]))

    # idx + gzip: Fashion-MNIST t10k cut to 4 images (headers rewritten),
    # raw and gzipped; the real labels .gz as a gzip seed.
    labels_gz = os.path.join(fashion_dir, "t10k-labels-idx1-ubyte.gz")
    images_gz = os.path.join(fashion_dir, "t10k-images-idx3-ubyte.gz")
    if os.path.exists(labels_gz) and os.path.exists(images_gz):
        with open(labels_gz, "rb") as f:
            raw_labels_gz = f.read()
        put("gzip", "fashion-t10k-labels.gz", raw_labels_gz)
        labels = gzip.decompress(raw_labels_gz)
        with gzip.open(images_gz, "rb") as f:
            images_head = f.read(16 + 4 * 784)
        _, _, rows, cols = struct.unpack_from(">IIII", images_head)
        label_file, image_file = idx_pair(labels[8:12], images_head[16:], rows, cols)
        put("idx", "fashion-t10k-4", idx_input(label_file, image_file))
        put("idx", "fashion-t10k-4-gzip", idx_input(gz(label_file), gz(image_file)))
    else:
        print("seeds.py: %s not found (apt-get install dataset-fashion-mnist), skipped" % fashion_dir,
              file=sys.stderr)
    return made


# ---------------------------------------------------------------- crafted regressions (committed)

def crafted(root):
    """The crash inputs of Fuzz/regressions/ that were written from reading the
    code rather than found by the fuzzer (regressions/README.md says which)."""
    s0 = Storage("FloatStorage", "0", 256)  # the pickle target's zip wrapping offers storages "0".."3"
    write(root, "pickle", "zip-storage-numel-times-itemsize-overflow.pkl",
          torch_pickle(OrderedDict([("w", Tensor(Storage("FloatStorage", "0", 1 << 62), 0, [1], [1]))])))
    big = Storage("FloatStorage", "k", 1 << 62, legacy=True)
    write(root, "pickle", "legacy-storage-numel-times-itemsize-overflow.th",
          legacy_checkpoint(OrderedDict([("w", Tensor(big, 0, [1], [1], v2=False))]), [(big, b"")]))
    view = Storage("FloatStorage", "k", 4, view=("v", (1 << 63) - 1, 1), legacy=True)
    write(root, "pickle", "legacy-view-offset-plus-size-overflow.th",
          legacy_checkpoint(OrderedDict([("w", Tensor(view, 0, [1], [1], v2=False))]), [(view, floats([1, 2, 3, 4]))]))
    write(root, "pickle", "tensor-size-product-overflow.pkl",
          torch_pickle(OrderedDict([("w", Tensor(s0, 0, [1 << 32, 1 << 32], [1, 1]))])))
    write(root, "pickle", "tensor-size-times-stride-overflow.pkl",
          torch_pickle(OrderedDict([("w", Tensor(s0, 0, [3], [1 << 62]))])))
    write(root, "pickle", "tensor-offset-plus-extent-overflow.pkl",
          torch_pickle(OrderedDict([("w", Tensor(s0, (1 << 63) - 1, [2], [1]))])))
    # 50,000 nested 1-tuples: releasing them recurses once per level.
    write(root, "pickle", "nested-tuples-50000-stack-overflow.pkl", b"\x80\x02)" + b"\x85" * 50000 + b".")
    # EMPTY_LIST, DUP, APPEND: a list that contains itself (a reference cycle).
    write(root, "pickle", "self-referencing-list-leak.pkl", b"\x80\x02]2a.")
    # EMPTY_DICT, DUP, key "k", SETITEM: a dict that is its own value.
    write(root, "pickle", "self-referencing-dict-leak.pkl", b"\x80\x02}2X\x01\x00\x00\x00ks.")
    # A deflated data.pkl whose zip64 extra field declares Int.max bytes uncompressed.
    name, data = b"archive/data.pkl", b"\x80\x02}."
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = c.compress(data) + c.flush()
    local = struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 8, 0, 0, zlib.crc32(data), len(payload), len(data),
                        len(name), 0) + name + payload
    extra = struct.pack("<HHQ", 1, 8, (1 << 63) - 1)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, 8, 0, 0, zlib.crc32(data), len(payload),
                          0xffffffff, len(name), len(extra), 0, 0, 0, 0, 0) + name + extra
    end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, len(central), len(local), 0)
    write(root, "zip", "inflate-declared-size-intmax-overflow.pt", local + central + end)
    # A request line exactly as long as the small-limits decoder allows (64 bytes).
    line = b"GET /" + b"a" * (64 - len(b"GET / HTTP/1.1")) + b" HTTP/1.1"
    write(root, "http", "request-line-at-limit-split-after-cr.http", line + b"\r\nHost: h\r\n\r\n")


# ---------------------------------------------------------------- gzip bomb (generated regression)

def gzip_bomb(path, mebibytes):
    """A valid gzip file of `mebibytes` MiB of zeros, about 1 KiB per MiB: one
    full-flushed deflate block of 1 MiB of zeros (byte-aligned and independent
    of what came before, so it can be repeated), then the final block and trailer."""
    megabyte = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(megabyte) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(megabyte, crc)
    header = struct.pack("<BBBBIBB", 0x1f, 0x8b, 8, 0, 0, 0, 3)
    final = b"\x03\x00"  # an empty final fixed-Huffman block
    trailer = struct.pack("<II", crc, (mebibytes << 20) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(header)
        for _ in range(mebibytes):
            f.write(block)
        f.write(final + trailer)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "bomb":
        gzip_bomb(sys.argv[2], int(sys.argv[3]))
        return
    if len(sys.argv) != 3 or sys.argv[1] not in ("handmade", "crafted", "reference"):
        sys.exit(__doc__)
    if sys.argv[1] == "handmade":
        handmade(sys.argv[2])
    elif sys.argv[1] == "crafted":
        crafted(sys.argv[2])
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        ref_dir = os.environ.get("LANDSCAPE_REFERENCE", os.path.join(here, "..", "..", "shared", "reference"))
        fashion = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
        for line in reference(sys.argv[2], ref_dir, fashion):
            print("  seed " + line)


if __name__ == "__main__":
    main()
