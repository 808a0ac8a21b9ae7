"""``lstmcount convert``: a model's weights in another framework's layout, proven equal by the forward pass."""

from __future__ import annotations

from typing import Any

import click

from lstmcount.commands.options import FrameworkChoice
from lstmcount.commands.output import echo
from lstmcount.exporters import SUFFIXES


@click.command("convert")
@click.argument("source", metavar="SRC")
@click.option("--to", "target", required=True, type=FrameworkChoice(False), help="The framework whose layout to write.")
@click.option(
    "-o", "--output", default=None, metavar="OUT", help=f"The file to write: {', '.join(SUFFIXES)}, by its suffix."
)
@click.option("--spec", "spec_path", default=None, metavar="SPEC", help="The model, when SRC holds its weights only.")
@click.option(
    "--from",
    "framework",
    type=FrameworkChoice(False),
    default=None,
    help="The framework SRC's tensors are laid out in, where the file does not say.",
)
@click.option("--layer", default=None, metavar="NAME", help="Write one layer's tensors, named as in that module alone.")
@click.option("--check-only", is_flag=True, help="Convert and prove, but write nothing.")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
def convert_command(
    source: str,
    target: str,
    output: str | None,
    spec_path: str | None,
    framework: str | None,
    layer: str | None,
    check_only: bool,
    force: bool,
    fmt: str,
) -> None:
    """Move a model's weights into another framework's layout, and prove the two compute the same.

    SRC is any file inspect reads (or weights, with --spec). Gate order, orientation, fused or
    split kernels, stacked layers and directions follow each framework's tables; two biases are
    summed into one, or one split into the bias and zeros; a run-time forget bias is folded into
    the stored one. A conversion that cannot be exact is refused with the reason. The forward
    pass then runs in both layouts on one random batch (float64): a difference above 1e-6 exits 1
    and writes nothing.

    \b
    Example:
      lstmcount convert model.keras --to pytorch --layer lstm -o lstm.safetensors
      lstmcount convert weights.npz --spec model.yaml --from pytorch --to onnx --check-only
    """
    from lstmcount.errors import UsageError
    from lstmcount.numeric.convert import convert, prove, read_source, select

    if output is None and not check_only:
        raise UsageError("give -o OUT to write the converted weights, or --check-only")
    model, weights = read_source(source, framework, spec_path)
    conv = convert(model, weights, target)
    proof = prove(conv)
    tensors = conv.weights if layer is None else select(conv, layer)
    written = None
    if proof.ok and not check_only and output is not None:
        from lstmcount.exporters import write

        written = str(write(output, tensors, force=force, model=conv.target))
    if fmt == "json":
        import json

        echo(json.dumps(_document(conv, proof, tensors, source, written), indent=2))
    else:
        echo(_text(conv, proof, tensors, source, written, check_only), nl=False)
    if not proof.ok:
        raise click.exceptions.Exit(1)


def _document(conv: object, proof: object, tensors: dict[str, Any], source: str, written: str | None) -> dict[str, Any]:
    from lstmcount.numeric.convert import TOLERANCE, Conversion, Proof

    assert isinstance(conv, Conversion) and isinstance(proof, Proof)
    return {
        "source": {"file": source, "framework": conv.source.report.framework, "total": conv.source.report.total},
        "target": {"framework": conv.target.report.framework, "total": conv.target.report.total},
        "tensors": {name: list(value.shape) for name, value in tensors.items()},
        "notes": conv.notes,
        "one_way": conv.one_way,
        "proof": {
            "batch": proof.batch,
            "steps": proof.steps,
            "dtype": "float64",
            "output_max_difference": proof.output,
            "states_max_difference": proof.states,
            "tolerance": TOLERANCE,
            "ok": proof.ok,
        },
        "written": written,
    }


def _text(
    conv: object, proof: object, tensors: dict[str, Any], source: str, written: str | None, check_only: bool
) -> str:
    from lstmcount.numeric.convert import TOLERANCE, Conversion, Proof

    assert isinstance(conv, Conversion) and isinstance(proof, Proof)
    a, b = conv.source.report, conv.target.report
    lines = [
        f"From {a.framework_display} ({source}): {sum(len(x.tensors) for x in a.layers)} tensors, {a.total:,} values.",
        f"To {b.framework_display}: {len(tensors)} tensors, {sum(int(v.size) for v in tensors.values()):,} values.",
    ]
    lines += [f"  {note}." for note in conv.notes]
    if conv.one_way:
        lines.append("One way: " + "; ".join(conv.one_way) + ".")
    width = max((len(n) for n in tensors), default=0)
    lines += [f"  {name:<{width}}  {tuple(value.shape)}" for name, value in tensors.items()]
    mark = "✓" if proof.ok else f"✗ (above {TOLERANCE:g})"
    lines.append(
        f"Both layouts run on one random batch ({proof.batch} × {proof.steps} steps, float64): outputs differ "
        f"by at most {proof.output:.1e}, final states by {proof.states:.1e} {mark}"
    )
    if written:
        lines.append(f"Wrote {written}.")
    elif check_only:
        lines.append("--check-only: nothing written.")
    elif not proof.ok:
        lines.append("Nothing written: the two layouts do not compute the same.")
    return "\n".join(lines) + "\n"
