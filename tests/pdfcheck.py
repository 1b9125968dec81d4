"""Helpers to check real PDFs: extracted text (pdftotext -raw keeps table cells together) and
rendered pages (pdftoppm), saved as test artifacts."""
import pathlib
import subprocess

ARTIFACTS = pathlib.Path(__file__).resolve().parent.parent / "test-artifacts"


def pdf_text(data, tmp_path):
    src = tmp_path / "doc.pdf"
    src.write_bytes(data)
    return subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(src), "-"], check=True, capture_output=True).stdout.decode("utf-8")


def pdf_pages(data, tmp_path):
    src = tmp_path / "doc.pdf"
    src.write_bytes(data)
    out = subprocess.run(["pdfinfo", str(src)], check=True, capture_output=True).stdout.decode()
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def render_first_page(data, tmp_path, name, dpi=60):
    """Render page 1 to PNG (kept in test-artifacts/) and return the fraction of non-white pixels."""
    src = tmp_path / "doc.pdf"
    src.write_bytes(data)
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / name
    subprocess.run(["pdftoppm", "-png", "-gray", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(src), str(prefix)], check=True)
    png = prefix.with_suffix(".png")
    from PIL import Image

    with Image.open(png) as img:
        gray = img.convert("L")
        hist = gray.histogram()
    return sum(hist[:200]) / max(1, sum(hist))
