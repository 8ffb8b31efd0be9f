"""The quickstart notebook runs top to bottom (nbclient, the venv's python3 kernel)."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


def _kernel_available(name: str) -> bool:
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return False
    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return False
    return True


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (test extra)")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (test extra)")
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (test extra)")
    if not _kernel_available("python3"):
        pytest.skip("no 'python3' Jupyter kernel installed (pip install ipykernel)")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2, "both plots (category shares, one indicator across years) are drawn"
    last = notebook.cells[-1].outputs[-1]["data"]["text/plain"]
    assert "comparison.xlsx" in last and "True" in last
