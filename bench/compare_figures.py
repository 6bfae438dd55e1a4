#!/usr/bin/env python3
"""Compare repro's figure PDFs with the paper's: page sizes, a similarity score, and the pages
side by side.

    bench/compare_figures.py --ours figs --paper ../shared/reference/vllm-profiling/figures \
        [--beside look/] [--only 2,7]

For each `figureN.pdf` in --ours with a published `figure-N/figureN.pdf` (or
`figure-rest/figureN.pdf`) under --paper it prints both page sizes (points, `pdfinfo`), how much
larger repro's page is, and the SSIM of the two pages rasterized (`pdftoppm -gray`), resized to
300 x 200 px and blurred (Gaussian, sigma 1.5): a score of the layout, not of the fine print;
and the numbers the paper's page prints (`pdftotext`: tick labels, values) that repro's lacks.
--beside writes `figureN.png` per figure: the paper's page left, repro's right, at one height.

Needs poppler-utils (pdfinfo, pdftoppm), numpy, scikit-image, Pillow (bench/look.sh makes a venv).
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.filters import gaussian
from skimage.metrics import structural_similarity
from skimage.transform import resize

SIZE = (200, 300)  # rows, columns
SIGMA = 1.5


def page_size(pdf: Path) -> tuple[float, float]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", out)
    if not m:
        raise SystemExit(f"{pdf}: pdfinfo printed no page size")
    return float(m.group(1)), float(m.group(2))


def rasterize(pdf: Path, dpi: int, gray: bool, work: Path) -> Image.Image:
    stem = work / f"{pdf.parent.name}-{pdf.stem}-{dpi}-{int(gray)}"
    args = ["pdftoppm", "-r", str(dpi), "-png", "-singlefile"]
    if gray:
        args.append("-gray")
    subprocess.run(args + [str(pdf), str(stem)], check=True)
    return Image.open(f"{stem}.png").convert("L" if gray else "RGB")


NUMBER = re.compile(r"[\u2212-]?\d+(?:\.\d+)*")


def numbers(pdf: Path) -> list[str]:
    """Every number the page prints (tick labels, values, versions), as text, with repeats."""
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return NUMBER.findall(text.replace("\u2212", "-"))


def missing_numbers(paper: Path, ours: Path) -> list[str]:
    """The paper's numbers that repro's page lacks (counted: two `0.00` need two)."""
    have = numbers(ours)
    missing = []
    for n in numbers(paper):
        if n in have:
            have.remove(n)
        else:
            missing.append(n)
    return missing


def similarity(a: Image.Image, b: Image.Image) -> float:
    def prepare(img: Image.Image) -> np.ndarray:
        grey = np.asarray(img, dtype=np.float64) / 255.0
        return gaussian(resize(grey, SIZE, anti_aliasing=True), sigma=SIGMA)

    return float(structural_similarity(prepare(a), prepare(b), data_range=1.0))


def beside(left: Image.Image, right: Image.Image, path: Path) -> None:
    """Both pages at the height of the taller, a grey gap between."""
    height = max(left.height, right.height)
    gap = 20
    canvas = Image.new("RGB", (left.width + gap + right.width, height), (200, 200, 200))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width + gap, 0))
    canvas.save(path)


def paper_pdf(paper: Path, figure: str) -> Path | None:
    for folder in (f"figure-{figure}", "figure-rest"):
        pdf = paper / folder / f"figure{figure}.pdf"
        if pdf.is_file():
            return pdf
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ours", type=Path, required=True, help="folder of figureN.pdf")
    parser.add_argument("--paper", type=Path, required=True, help="the paper's figures/ folder")
    parser.add_argument("--beside", type=Path, help="write side-by-side PNGs here")
    parser.add_argument("--only", help="comma-separated figure numbers")
    parser.add_argument("--dpi", type=int, default=100, help="of the side-by-side PNGs")
    args = parser.parse_args()

    only = set(args.only.split(",")) if args.only else None
    pdfs = sorted(
        args.ours.glob("figure*.pdf"),
        key=lambda p: int(re.sub(r"\D", "", p.stem) or 0),
    )
    if args.beside:
        args.beside.mkdir(parents=True, exist_ok=True)
    print(
        f"{'figure':>6} {'paper (pt)':>16} {'ours (pt)':>16} {'w %':>6} {'h %':>6} {'SSIM':>6}"
        "  numbers of the paper's page missing from ours"
    )
    scores = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for ours in pdfs:
            figure = ours.stem.removeprefix("figure")
            if only and figure not in only:
                continue
            paper = paper_pdf(args.paper, figure)
            if paper is None:
                continue
            (pw, ph), (ow, oh) = page_size(paper), page_size(ours)
            score = similarity(rasterize(paper, 100, True, work), rasterize(ours, 100, True, work))
            scores.append(score)
            missing = missing_numbers(paper, ours)
            shown = " ".join(missing[:8]) + (" …" if len(missing) > 8 else "")
            print(
                f"{figure:>6} {pw:7.1f} x {ph:6.1f} {ow:7.1f} x {oh:6.1f} "
                f"{100 * (ow / pw - 1):+6.1f} {100 * (oh / ph - 1):+6.1f} {score:6.3f}"
                f"  {len(missing)}{': ' + shown if missing else ''}"
            )
            if args.beside:
                beside(
                    rasterize(paper, args.dpi, False, work),
                    rasterize(ours, args.dpi, False, work),
                    args.beside / f"figure{figure}.png",
                )
    if scores:
        print(f"{'mean':>6} {'':>16} {'':>16} {'':>6} {'':>6} {sum(scores) / len(scores):6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
