"""``lstmcount inspect FILE``: a model file's parameters, read without its framework and never run."""

from __future__ import annotations

import click

from lstmcount.commands.options import FORMATS, framework_option, terminal_width, use_color, width_option
from lstmcount.commands.output import emit, output_option


@click.command("inspect")
@click.argument("path", metavar="FILE")
@framework_option("The framework a state dict is read in, where the file does not say whose it is.")
@click.option(
    "--format",
    "fmt_name",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format; yaml writes the rebuilt spec, which lstmcount check accepts.",
)
@click.option(
    "--weights",
    default=None,
    metavar="FILE",
    help="The weights of a config or spec given as FILE (HDF5 weights, safetensors, a checkpoint, .npz).",
)
@width_option
@output_option
def inspect_command(
    path: str, framework: str | None, fmt_name: str, width: int | None, weights: str | None, output: str | None
) -> None:
    """Read a model file's tensors without its framework, rebuild the model and count it.

    Reads metadata only (names, shapes, dtypes), and never runs anything the file holds:
    PyTorch checkpoints (.pt, .pth, .bin, the legacy format, training checkpoints),
    .safetensors, NumPy .npz, pickled state dicts, ONNX models (with external data), Keras 3
    .keras archives and to_json configs, Keras 2 .h5 models, and Flax msgpack checkpoints.

    \b
    Example:
      lstmcount inspect model.pt
      lstmcount inspect model.safetensors --format yaml > model.yaml
    """
    from lstmcount.importers import inspect
    from lstmcount.renderers.inspection import render_inspection

    found = inspect(path, framework, weights)
    text = render_inspection(found, fmt_name, width=terminal_width(width), color=use_color() and output is None)
    emit(text, output, fmt_name, (path,) + ((weights,) if weights else ()))
