"""``lstmcount verify``: run the model in NumPy and show that every shape and count holds."""

from __future__ import annotations

from typing import Any

import click

from lstmcount.commands.options import (
    flags_from,
    framework_option,
    model_file,
    model_options,
    terminal_width,
    width_option,
)
from lstmcount.commands.output import echo
from lstmcount.errors import UsageError
from lstmcount.model.spec import DEFAULT_FRAMEWORK
from lstmcount.numeric.verify import (
    DEFAULT_BATCH,
    default_steps,
    parse_size,
    render_verify,
    verify_document,
    verify_model,
)


@click.command("verify")
@click.argument("args", nargs=-1, metavar="INPUT UNITS... | SPEC | MODEL-FILE")
@model_options
@framework_option("Weight layout [default: the spec's, or " + DEFAULT_FRAMEWORK + "].")
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH,
    show_default=True,
    metavar="B",
    help="Batch size of the random input.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    default=0,
    show_default=True,
    help="Seed of the random weights and input.",
)
@click.option(
    "--dtype",
    type=click.Choice(["float32", "float64"]),
    default="float32",
    show_default=True,
    help="Floating-point type of the pass.",
)
@click.option(
    "--weights",
    "weights_file",
    default=None,
    metavar="FILE",
    help="Weights to check and use: .npz, .safetensors or a model file's own tensors, keyed by tensor path.",
)
@click.option(
    "--input",
    "input_file",
    default=None,
    metavar="FILE.npy",
    help="Input batch instead of random data: (B, T, I) features or (B, T) token ids.",
)
@click.option("--save-output", default=None, metavar="FILE.npy", help="Save the model output as .npy.")
@click.option(
    "--max-memory",
    default="2GiB",
    show_default=True,
    metavar="SIZE",
    help="Refuse a pass estimated to need more memory than this.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Text tables, or one JSON document.",
)
@width_option
def verify_command(
    args: tuple[str, ...],
    framework: str | None,
    batch: int,
    seed: int,
    dtype: str,
    weights_file: str | None,
    input_file: str | None,
    save_output: str | None,
    max_memory: str,
    fmt: str,
    width: int | None,
    **kwargs: Any,
) -> None:
    """Run a forward pass in NumPy and show that every shape and count holds.

    Builds the weights with the framework's tensor names and shapes (or loads them with
    --weights), runs a batch through them and prints, per layer, expected vs actual output
    shape and counted vs allocated elements, then the final states and the weight sharing
    over time. Exit 0 when all match, 1 on a mismatch, 2 on bad input.

    \b
    Example:
      lstmcount verify 100 128 --dense 1
      lstmcount verify model.yaml --weights model.safetensors --framework pytorch
      lstmcount verify model.safetensors   (the model rebuilt from the file, on its weights)
    """
    from lstmcount.api import count_located
    from lstmcount.model.inputs import resolve
    from lstmcount.numeric.forward import Model

    flags = flags_from(kwargs)
    limit = parse_size(max_memory)
    arrays = None
    if model_file(args):
        if weights_file is not None:
            raise UsageError(f"{args[0]} holds its own weights; give --weights with a spec or INPUT UNITS")
        from lstmcount.importers import inspect
        from lstmcount.model.spec import spec_from_dict
        from lstmcount.numeric.filedata import bound_values

        found = inspect(args[0], framework)
        spec = spec_from_dict(found.spec)
        report = found.report
        arrays, weights_file = bound_values(found), args[0]
    else:
        resolved = resolve(args, flags, framework)
        spec = resolved.spec
        report = count_located(spec, framework, resolved.document)
    steps = spec.input.timesteps or default_steps(spec)
    result = verify_model(
        Model(spec, report),
        batch=batch,
        steps=steps,
        seed=seed,
        dtype=dtype,
        max_memory=limit,
        weights_file=weights_file,
        input_file=input_file,
        save_output=save_output,
        arrays=arrays,
    )
    if fmt == "json":
        import json

        echo(json.dumps(verify_document(result), indent=2))
    else:
        echo(render_verify(result, terminal_width(width)), nl=False)
    if not result.ok:
        raise click.exceptions.Exit(1)
