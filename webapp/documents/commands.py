"""`flask --app webapp opinion pdf ID --out FILE`: a 卫生监督意见书 as PDF from the command line."""
import click
from flask import current_app

from ..db import db
from . import bp, printing, services
from .models import Opinion


@bp.cli.command("pdf")
@click.argument("opinion_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="输出的 PDF 文件")
def pdf_command(opinion_id, out):
    """Write a 意见书 as PDF (an issued one is counted as a print: 补打 after the first)."""
    with db.connection_context():
        op = Opinion.get_or_none(Opinion.id == opinion_id)
        if op is None:
            raise click.ClickException(f"找不到编号为 {opinion_id} 的意见书。")
        if op.is_draft:
            data = printing.pdf(op, "")
        else:
            # no request here: the QR code points at PUBLIC_URL (instance/config.py), else localhost
            from urllib.parse import urlsplit

            base = urlsplit(current_app.config.get("PUBLIC_URL") or "http://localhost/")
            url = current_app.url_map.bind(base.netloc, url_scheme=base.scheme or "http").build(
                "documents.verify", {"code": op.code}, force_external=True)
            count = services.record_print(None, op)
            data = printing.pdf(op, url, count)
    with open(out, "wb") as fh:
        fh.write(data)
    click.echo(f"已写出 {out}（{op.number or '草稿'}，{len(data) // 1024} KB）。")
