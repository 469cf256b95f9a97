import pytest
import torch

from paper_mtl import published
from paper_mtl.profiles import by_profile, check_parameters, resolve_device


def test_profiles_and_parameters():
    assert by_profile("quick", 1, 2, 3) == 2
    assert check_parameters("smoke", "cpu", 0) == torch.device("cpu")
    with pytest.raises(ValueError, match=r"unknown profile 'huge'.*'smoke', 'quick', 'paper'"):
        check_parameters("huge")
    with pytest.raises(ValueError, match="seed"):
        check_parameters("smoke", "cpu", -1)
    with pytest.raises(ValueError, match="'tpu'"):
        resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only machine's error")
def test_cuda_requested_without_cuda_is_an_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")


def test_published_tables_load():
    names = published.available()
    assert "04_table3e_backbones" in names and names == sorted(names)
    assert all(n[:2].isdigit() for n in names)
    assert len(published.load("04_table3e_backbones")) == 9
    with pytest.raises(ValueError, match="unknown published table 'nope'"):
        published.load("nope")
