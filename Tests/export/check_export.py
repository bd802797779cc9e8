#!/usr/bin/python3
"""Independent checks of `landscape export` files with Debian's h5py and numpy
(run by Tests/LandscapeExportTests through /usr/bin/python3; exits non-zero on
the first failure, printing what differs).

  check_export.py check SURFACE.json DIR STEM   check DIR/STEM.{h5,directions.h5,csv,npz,vts,vtp,obj,ply}
  check_export.py write-huge DIR                write DIR/huge.h5: a few kB that declare 10^10 coordinates
  check_export.py write-theirs DIR NX NY        write DIR/theirs.h5 and DIR/theirs_dir.h5 the way
                                                tomgoldstein/loss-landscape does (plot_surface.py,
                                                scheduler.py, h5_util.write_list) for a ResNet-8, 1 channel
"""
import json
import math
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def expect(condition, message):
    if not condition:
        fail(message)


def grid(rows, none=np.nan):
    return np.array([[none if v is None else v for v in row] for row in rows], dtype=np.float64)


def same(a, b):
    """Equal values, NaN equal to NaN."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def check(surface_path, directory, stem):
    s = json.load(open(surface_path))
    x = np.array(s["x"], dtype=np.float64)
    y = np.array(s["y"], dtype=np.float64) if s.get("y") is not None else None
    split = s["dataset"]["split"]
    loss, acc, stderr = grid(s["loss"]), grid(s["accuracy"]), grid(s["loss_stderr"])
    diverged = np.array(s.get("diverged") or np.zeros(loss.shape, dtype=bool), dtype=bool)
    computed = ~np.isnan(loss) | diverged
    base = f"{directory}/{stem}"

    # --- HDF5 in Li et al.'s layout ---------------------------------------------------------
    f = h5py.File(base + ".h5", "r")
    keys = set(f.keys())
    for key in ["xcoordinates", f"{split}_loss", f"{split}_acc", "dir_file"] + (["ycoordinates"] if y is not None else []):
        expect(key in keys, f"h5: no '{key}' in {sorted(keys)}")
    expect(f["xcoordinates"].dtype == np.float64 and same(f["xcoordinates"][:], x), "h5: xcoordinates differ")
    if y is not None:
        expect(f["ycoordinates"].dtype == np.float64 and same(f["ycoordinates"][:], y), "h5: ycoordinates differ")
    shape = (len(x), len(y)) if y is not None else (len(x),)
    for key in (f"{split}_loss", f"{split}_acc"):
        expect(f[key].shape == shape, f"h5: {key} shape {f[key].shape}, expected (len(x), len(y)) = {shape}")
        expect(f[key].dtype == np.float64, f"h5: {key} dtype {f[key].dtype}, expected float64")
    # Their fill order, replayed: scheduler.get_unplotted_indices + crunch's losses.ravel()[ind] = value.
    theirs_loss = -np.ones(shape)
    theirs_acc = -np.ones(shape)
    inds = np.array(range(theirs_loss.size))[theirs_loss.ravel() <= 0]
    if y is not None:
        xm, ym = np.meshgrid(x, y)
        coords = np.c_[xm.ravel()[inds], ym.ravel()[inds]]
    else:
        coords = x.ravel()[inds]
    for ind, coord in zip(inds, coords):
        (cx, cy) = (coord[0], coord[1]) if y is not None else (coord, None)
        column = int(np.where(x == cx)[0][0])
        row = int(np.where(y == cy)[0][0]) if y is not None else 0
        if not computed.reshape(-1, len(x))[row, column]:
            continue  # not computed: stays -1, as in their file before the point is done
        if diverged.reshape(-1, len(x))[row, column]:
            theirs_loss.ravel()[ind] = np.nan
            theirs_acc.ravel()[ind] = np.nan
        else:
            theirs_loss.ravel()[ind] = loss.reshape(-1, len(x))[row, column]
            theirs_acc.ravel()[ind] = 100.0 * acc.reshape(-1, len(x))[row, column]
    expect(same(f[f"{split}_loss"][:], theirs_loss), "h5: loss values or their order differ from plot_surface.py's fill")
    expect(same(f[f"{split}_acc"][:], theirs_acc), "h5: accuracy differs from 100 x the JSON's in their fill order")
    dir_file = f["dir_file"][()]
    dir_file = dir_file.decode() if isinstance(dir_file, bytes) else dir_file
    expect(dir_file == stem + ".directions.h5", f"h5: dir_file '{dir_file}'")
    expect(f.attrs["seed"] == s["directions"]["seed"], "h5: seed attribute")
    expect(f.attrs["samples"] == s["dataset"]["samples"], "h5: samples attribute")
    expect(f.attrs["normalization"] == s["directions"]["normalization"], "h5: normalization attribute")
    expect(same(f[f"{split}_loss_stderr"][:].ravel(), np.where(diverged, np.nan, stderr).ravel()), "h5: stderr")
    if y is not None:
        # What plot_2D.py does with a square grid: contour(X, Y, Z) with X, Y = meshgrid(x, y).
        Z = f[f"{split}_loss"][:].reshape(len(y), len(x))
        expect(same(np.where(Z == -1, np.nan, Z), np.where(diverged, np.nan, loss)), "h5: meshgrid-shaped view differs")

    d = h5py.File(f"{directory}/{dir_file}", "r")
    axes = ["xdirection"] + (["ydirection"] if y is not None else [])
    expect(sorted(d.keys()) == axes, f"directions: groups {sorted(d.keys())}, expected {axes}")
    for axis in axes:
        names = [d[axis][str(i)].attrs["name"] for i in range(len(d[axis]))]
        expect(all(d[axis][str(i)].dtype == np.float32 for i in range(len(d[axis]))), "directions: dtype not float32")
        if s["directions"]["mode"] == "weights":
            expect(not any("running" in n for n in names), f"directions: BN statistics in a 'weights' direction: {names}")
        expect(names[0] == "conv1.weight" and names[-1] == "linear.bias", f"directions: order {names[:2]} … {names[-2:]}")
        for i, n in enumerate(names):
            if n.endswith("bias") or ".bn" in n or n.startswith("bn"):
                expect(not np.any(d[axis][str(i)][:]), f"directions: {axis}/{i} ({n}) not zero under ignore=biasbn")

    # --- CSV ----------------------------------------------------------------------------------
    c = np.genfromtxt(base + ".csv", delimiter=",", names=True)
    expect(len(c) == loss.size, f"csv: {len(c)} rows, expected {loss.size}")
    expect(same(c["loss"], loss.ravel()), "csv: loss differs")
    expect(same(c["accuracy"], acc.ravel()), "csv: accuracy differs")
    expect(same(c["x"], np.tile(x, loss.shape[0])), "csv: x column")
    if y is not None:
        expect(same(c["y"], np.repeat(y, len(x))), "csv: y column")
    expect(same(c["diverged"], diverged.ravel().astype(float)), "csv: diverged column")

    # --- npz ----------------------------------------------------------------------------------
    z = np.load(base + ".npz")
    expect(same(z["x"], x), "npz: x")
    expect(z["loss"].shape == (loss.shape if y is not None else (len(x),)), f"npz: loss shape {z['loss'].shape}")
    expect(same(z["loss"].reshape(loss.shape), loss), "npz: loss differs")
    expect(same(z["accuracy"].reshape(acc.shape), acc), "npz: accuracy differs")
    expect(z["diverged"].dtype == np.bool_ and np.array_equal(z["diverged"].reshape(diverged.shape), diverged), "npz: diverged")

    if y is None:
        print("ok (1D)")
        return
    nx, ny = len(x), len(y)

    # --- VTK structured grid ------------------------------------------------------------------
    root = ET.parse(base + ".vts").getroot()
    piece = root.find("StructuredGrid/Piece")
    expect(piece.get("Extent") == f"0 {nx - 1} 0 {ny - 1} 0 0", f"vts: extent {piece.get('Extent')}")
    arrays = {a.get("Name"): np.array(a.text.split(), dtype=np.float64) for a in piece.find("PointData")}
    expect(same(arrays["loss"], loss.ravel()), "vts: loss point data")
    expect(same(arrays["accuracy"], acc.ravel()), "vts: accuracy point data")
    points = np.array(piece.find("Points/DataArray").text.split(), dtype=np.float64).reshape(-1, 3)
    expect(points.shape[0] == nx * ny and same(points[:, 0], np.tile(x, ny)) and same(points[:, 1], np.repeat(y, nx)), "vts: points")

    # --- VTK poly data as h52vtp.py -------------------------------------------------------------
    root = ET.parse(base + ".vtp").getroot()
    piece = root.find("PolyData/Piece")
    polys = (nx - 1) * (ny - 1)
    expect(int(piece.get("NumberOfPoints")) == nx * ny and int(piece.get("NumberOfPolys")) == polys, "vtp: counts")
    zvalue = np.array(piece.find("PointData/DataArray").text.split(), dtype=np.float64)
    expect(same(zvalue, np.where(diverged, np.nan, loss).ravel()), "vtp: zvalue")
    connectivity = np.array(piece.find("Polys/DataArray[@Name='connectivity']").text.split(), dtype=np.int64)
    offsets = np.array(piece.find("Polys/DataArray[@Name='offsets']").text.split(), dtype=np.int64)
    expect(len(connectivity) == 4 * polys and offsets[-1] == 4 * polys, "vtp: connectivity/offsets length")
    expect(list(connectivity[:4]) == [0, 1, nx + 1, nx], f"vtp: first quad {connectivity[:4]}")
    averaged = np.array(piece.find("CellData/DataArray").text.split(), dtype=np.float64)
    zz = zvalue.reshape(ny, nx)
    expect(same(averaged, ((zz[:-1, :-1] + zz[:-1, 1:] + zz[1:, :-1] + zz[1:, 1:]) / 4).ravel()), "vtp: averaged zvalue")

    # --- meshes -------------------------------------------------------------------------------
    complete = ~np.isnan(np.where(diverged, np.nan, loss))
    cells = int(np.sum(complete[:-1, :-1] & complete[:-1, 1:] & complete[1:, :-1] & complete[1:, 1:]))
    lines = open(base + ".obj").read().splitlines()
    expect(sum(l.startswith("v ") for l in lines) == nx * ny, "obj: vertex count")
    expect(sum(l.startswith("f ") for l in lines) == cells, f"obj: face count, expected {cells}")
    ply = open(base + ".ply").read().splitlines()
    expect(f"element vertex {nx * ny}" in ply and f"element face {cells}" in ply, "ply: header counts")
    body = ply[ply.index("end_header") + 1:]
    expect(len(body) == nx * ny + cells and all(l.startswith("4 ") for l in body[nx * ny:]), "ply: body")
    print("ok")


def write_theirs(directory, nx, ny):
    """A surface and direction file as their code writes them, for a ResNet-8 with 1 input channel."""
    x = np.linspace(-1, 1, num=nx)
    y = np.linspace(-0.5, 0.5, num=ny)
    f = h5py.File(f"{directory}/theirs.h5", "w")
    f["dir_file"] = f"{directory}/theirs_dir.h5"
    f["xcoordinates"] = x
    f["ycoordinates"] = y
    shape = (len(x), len(y))
    losses, accuracies = -np.ones(shape=shape), -np.ones(shape=shape)
    xm, ym = np.meshgrid(x, y)
    inds = np.array(range(losses.size))[losses.ravel() <= 0]
    for ind in inds[:-1]:  # the last point "not computed yet"
        cx, cy = xm.ravel()[ind], ym.ravel()[ind]
        losses.ravel()[ind] = 0.5 + cx * cx + 2 * cy * cy + 0.1 * cx
        accuracies.ravel()[ind] = 90.0 - 10 * abs(cx)
    f["train_loss"] = losses
    f["train_acc"] = accuracies
    f.close()
    # net.parameters() of a ResNet-8 (one BasicBlock per stage), 1-channel input, 10 classes.
    shapes = [(16, 1, 3, 3), (16,), (16,)]
    channels = 16
    for width in (16, 32, 64):
        shapes += [(width, channels, 3, 3), (width,), (width,), (width, width, 3, 3), (width,), (width,)]
        channels = width
    shapes += [(10, 64), (10,)]
    rng = np.random.default_rng(0)
    d = h5py.File(f"{directory}/theirs_dir.h5", "w")
    for name in ("xdirection", "ydirection"):
        group = d.create_group(name)
        for i, s in enumerate(shapes):
            group.create_dataset(str(i), data=(rng.standard_normal(s) if len(s) > 1 else np.zeros(s)).astype(np.float32))
    d.close()
    np.save(f"{directory}/theirs_loss.npy", losses)
    print("ok")


def write_huge(directory):
    f = h5py.File(f"{directory}/huge.h5", "w")
    f.create_dataset("xcoordinates", shape=(10**10,), chunks=(1024,), dtype="f8")
    f["train_loss"] = np.ones(3)
    f["train_acc"] = np.ones(3)
    f.close()
    print("ok")


if __name__ == "__main__":
    if sys.argv[1] == "write-huge":
        write_huge(sys.argv[2])
    elif sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "write-theirs":
        write_theirs(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        fail("unknown mode " + sys.argv[1])
