#!/usr/bin/env python3
"""Build src/formcheck/models/pose_landmarker_full.task from the models in mediapipe 0.10.21's wheel.

    python tools/build_pose_task.py [--wheel mediapipe-0.10.21-*.whl] [--out PATH] [--check]

Why: MediaPipe's Tasks API (the only API of mediapipe >= 0.10.30 / 1.x) loads a pose model from a
`.task` file, a zip holding `pose_detector.tflite` and `pose_landmarks_detector.tflite`, each with
TFLite metadata saying how to normalise the input picture. formcheck ships one inside the package
so that nothing is downloaded at run time. It is built from the two BlazePose models that the
legacy Solutions API used (the wheel of mediapipe 0.10.21), so both APIs run the same networks:

    mediapipe/modules/pose_detection/pose_detection.tflite        -> pose_detector.tflite
    mediapipe/modules/pose_landmark/pose_landmark_full.tflite     -> pose_landmarks_detector.tflite

Metadata added with tflite-support's MetadataPopulator (build time only; formcheck never imports
tflite-support):
  * input: an RGB image, with NormalizationOptions as the legacy graphs feed it:
      detector  [-1, 1]: mean 127.5, std 127.5  (pose_detection_cpu.pbtxt, ImageToTensorCalculator
                                                 output_tensor_float_range -1..1)
      landmarks [ 0, 1]: mean 0,     std 255    (pose_landmark_by_roi_cpu.pbtxt, range 0..1)
  * one TensorMetadata per output, in the model's output order: the detector's 2 (box
    regressors, scores) and the landmark model's 5 (landmarks, presence, segmentation mask,
    heatmap, world landmarks).

The zip is reproducible: fixed entry order and timestamps, entries stored uncompressed, each
entry's data aligned to 64 bytes (so TFLite can use the tensors in place). The
sha256 of the two source models is checked, so a different wheel is refused. tflite-support
0.4.4 has wheels for CPython 3.9-3.11 only; run this tool with one of those, e.g.

    python3.11 -m venv /tmp/taskvenv && /tmp/taskvenv/bin/pip install tflite-support==0.4.4
    /tmp/taskvenv/bin/python tools/build_pose_task.py            # fetches the wheel with pip
    /tmp/taskvenv/bin/python tools/build_pose_task.py --check    # rebuild and compare, exit 1 if different

Licence: the models are Google's BlazePose GHUM 3D models as distributed in the mediapipe wheel,
under the Apache License 2.0 (see src/formcheck/models/README.md).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "formcheck" / "models" / "pose_landmarker_full.task"
WHEEL_SPEC = "mediapipe==0.10.21"

# (path in the 0.10.21 wheel, sha256, name in the .task)
DETECTOR = ("mediapipe/modules/pose_detection/pose_detection.tflite",
            "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
            "pose_detector.tflite")
LANDMARKS = ("mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
             "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
             "pose_landmarks_detector.tflite")

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def fetch_wheel(dest: Path) -> Path:
    """The legacy wheel for this interpreter (any CPython 3.9-3.12 wheel holds the same models)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "-d", str(dest), WHEEL_SPEC], check=True)
    wheels = sorted(dest.glob("mediapipe-0.10.21-*.whl"))
    if not wheels:
        sys.exit(f"pip found no wheel for {WHEEL_SPEC} for this Python; pass --wheel PATH")
    return wheels[0]


def read_model(wheel: zipfile.ZipFile, spec: tuple[str, str, str]) -> bytes:
    path, sha, _ = spec
    data = wheel.read(path)
    got = hashlib.sha256(data).hexdigest()
    if got != sha:
        sys.exit(f"{path} in the wheel has sha256 {got}, expected {sha}: not the 0.10.21 model")
    return data


def with_metadata(model: bytes, name: str, description: str, mean: float, std: float,
                  outputs: list[tuple[str, str]]) -> bytes:
    """The model with TFLite metadata: RGB image input normalised (x - mean) / std, named outputs."""
    import flatbuffers
    from tflite_support import metadata as md
    from tflite_support import metadata_schema_py_generated as fb

    inp = fb.TensorMetadataT()
    inp.name = "image"
    inp.description = "RGB picture, letterboxed/cropped and resized by MediaPipe"
    inp.content = fb.ContentT()
    inp.content.contentProperties = fb.ImagePropertiesT()
    inp.content.contentProperties.colorSpace = fb.ColorSpaceType.RGB
    inp.content.contentPropertiesType = fb.ContentProperties.ImageProperties
    norm = fb.ProcessUnitT()
    norm.optionsType = fb.ProcessUnitOptions.NormalizationOptions
    norm.options = fb.NormalizationOptionsT()
    norm.options.mean = [mean]
    norm.options.std = [std]
    inp.processUnits = [norm]
    stats = fb.StatsT()
    stats.min = [(0.0 - mean) / std]
    stats.max = [(255.0 - mean) / std]
    inp.stats = stats

    outs = []
    for out_name, out_desc in outputs:
        t = fb.TensorMetadataT()
        t.name = out_name
        t.description = out_desc
        outs.append(t)

    sub = fb.SubGraphMetadataT()
    sub.inputTensorMetadata = [inp]
    sub.outputTensorMetadata = outs
    meta = fb.ModelMetadataT()
    meta.name = name
    meta.description = description
    meta.version = "mediapipe-0.10.21"
    meta.author = "Google (MediaPipe BlazePose); metadata added by formcheck tools/build_pose_task.py"
    meta.license = "Apache License 2.0"
    meta.subgraphMetadata = [sub]

    b = flatbuffers.Builder(0)
    b.Finish(meta.Pack(b), md.MetadataPopulator.METADATA_FILE_IDENTIFIER)
    pop = md.MetadataPopulator.with_model_buffer(model)
    pop.load_metadata_buffer(b.Output())
    pop.populate()
    return bytes(pop.get_model_buffer())


def build(wheel_path: Path, detector_norm: tuple[float, float] = (127.5, 127.5)) -> bytes:
    with zipfile.ZipFile(wheel_path) as whl:
        det = read_model(whl, DETECTOR)
        lmk = read_model(whl, LANDMARKS)
    det = with_metadata(
        det, "BlazePose detector", "Person detector of MediaPipe BlazePose (224x224 input)",
        mean=detector_norm[0], std=detector_norm[1],
        outputs=[("regressors", "box and keypoint offsets per anchor"),
                 ("classificators", "detection score per anchor")])
    lmk = with_metadata(
        lmk, "BlazePose GHUM 3D full", "Pose landmark model of MediaPipe BlazePose, full (256x256 input)",
        mean=0.0, std=255.0,
        outputs=[("landmarks", "33 landmarks x (x, y, z, visibility, presence) plus 6 auxiliary"),
                 ("presence", "pose presence flag"),
                 ("segmentation", "segmentation mask"),
                 ("heatmap", "landmark heatmap"),
                 ("world_landmarks", "39 world landmarks (x, y, z) in metres")])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in ((DETECTOR[2], det), (LANDMARKS[2], lmk)):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.extra = align_extra(buf.tell(), name)
            z.writestr(info, data)
    return buf.getvalue()


ALIGN = 64


def align_extra(header_offset: int, name: str) -> bytes:
    """A zip extra field (Android zipalign's 0xD935) that puts the entry's data at a multiple of
    ALIGN bytes from the start of the file: TFLite then maps the model's tensors in place instead
    of copying them ("unaligned buffer" warning)."""
    start = header_offset + 30 + len(name.encode()) + 6
    pad = -start % ALIGN
    return struct.pack("<HHH", 0xD935, 2 + pad, ALIGN) + b"\0" * pad


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--wheel", type=Path, help="a mediapipe-0.10.21 wheel (default: pip download it)")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--check", action="store_true", help="build and compare with --out, write nothing")
    p.add_argument("--detector-norm", nargs=2, type=float, default=(127.5, 127.5),
                   metavar=("MEAN", "STD"), help="experiments only: the detector's input "
                   "normalisation (default 127.5 127.5, i.e. [-1, 1] as the legacy graph)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = build(args.wheel or fetch_wheel(Path(tmp)), tuple(args.detector_norm))
    sha = hashlib.sha256(data).hexdigest()
    if args.check:
        old = args.out.read_bytes() if args.out.exists() else b""
        same = old == data
        print(f"{args.out}: {'identical' if same else 'DIFFERENT'} (built sha256 {sha})")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes, sha256 {sha})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
