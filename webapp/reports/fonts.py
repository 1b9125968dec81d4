"""Make the pre-subset print font: `.venv/bin/python -m webapp.reports.fonts`.

Noto Serif CJK SC (fonts-noto-cjk, OFL-1.1) cut down to ASCII + the 6,763 GB2312 characters and
their punctuation, so WeasyPrint subsets a 4 MB file per PDF instead of a 26 MB collection
(tech-notes.md: ~2x faster, half the size, a quarter of the memory). Takes ~20 s; the result is
committed in static/fonts/ with static/fonts/OFL.txt. Characters outside the set (堃 犇 䶮 in
unit names) fall through to the full system font listed after it in static/css/reports.css.
"""
import pathlib
import sys

SOURCE = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
SC_INDEX = 2  # JP, KR, SC, TC, HK in the collection
OUT = pathlib.Path(__file__).resolve().parents[2] / "static" / "fonts" / "SuiJianSerif-GB2312-Regular.otf"
EXTRA = "“”‘’（）《》〔〕【】、，。：；！？…—·①②③④⑤⑥⑦⑧⑨⑩　"


def gb2312():
    chars = {chr(c) for c in range(0x20, 0x7F)} | set(EXTRA)
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                chars.add(bytes([b1, b2]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def make(source=SOURCE, out=OUT):
    from fontTools import subset

    opts = subset.Options()
    opts.font_number = SC_INDEX
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    font = subset.load_font(source, opts)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=[ord(c) for c in gb2312()])
    sub.subset(font)
    subset.save_font(font, str(out), opts)
    return out


if __name__ == "__main__":
    print(make(*sys.argv[1:]))
