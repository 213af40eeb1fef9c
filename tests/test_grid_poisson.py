"""Tests for the DCDM gallery: variable-coefficient and masked Poisson, right-hand sides."""
import itertools

import numpy as np
import pytest

from numopt.problems import (obstacle_mask, poisson_masked, poisson_matrix,
                             poisson_variable_coefficient, random_field, smooth_source)


def _loop_assembly(k):
    """Entry-by-entry finite-volume assembly: harmonic face means, Dirichlet ghost cells."""
    grid = k.shape
    n = k.size
    A = np.zeros((n, n))
    index = np.arange(n).reshape(grid)
    for cell in itertools.product(*(range(g) for g in grid)):
        i = index[cell]
        for axis, step in itertools.product(range(len(grid)), (-1, 1)):
            nb = list(cell)
            nb[axis] += step
            if 0 <= nb[axis] < grid[axis]:
                face = 2 * k[cell] * k[tuple(nb)] / (k[cell] + k[tuple(nb)])
                A[i, index[tuple(nb)]] -= face
                A[i, i] += face
            else:
                A[i, i] += k[cell]
    return A


@pytest.mark.parametrize("grid", [(5, 7), (3, 4, 5)])
def test_variable_coefficient_matches_loop_assembly(grid):
    k = np.exp(np.random.default_rng(0).standard_normal(grid))
    A = poisson_variable_coefficient(k)
    np.testing.assert_allclose(A.toarray(), _loop_assembly(k), rtol=1e-14, atol=1e-14)
    assert np.linalg.eigvalsh(A.toarray()).min() > 0


@pytest.mark.parametrize("grid", [(6, 5), (4, 3, 5)])
def test_unit_coefficient_is_poisson_matrix(grid):
    A = poisson_variable_coefficient(np.ones(grid), dtype=np.float32)
    assert A.dtype == np.float32
    np.testing.assert_array_equal(A.toarray(), poisson_matrix(grid).toarray())


def test_masked_rows():
    mask = obstacle_mask((12, 12), radius=0.25)
    assert 0 < (~mask).sum() < mask.size
    A = poisson_masked(mask).toarray()
    P = poisson_matrix((12, 12)).toarray()
    fluid = mask.ravel()
    np.testing.assert_array_equal(A[np.ix_(~fluid, ~fluid)], np.eye((~fluid).sum()))
    np.testing.assert_array_equal(A[np.ix_(fluid, ~fluid)], 0)
    np.testing.assert_array_equal(A[np.ix_(fluid, fluid)], P[np.ix_(fluid, fluid)])
    assert np.linalg.eigvalsh(A).min() > 0


def test_right_hand_sides():
    b = random_field((8, 8, 8), seed=1)
    assert b.shape == (512,) and np.sqrt(np.mean(b ** 2)) == pytest.approx(1.0)
    np.testing.assert_array_equal(b, random_field((8, 8, 8), seed=1))
    smooth = random_field((32, 32), correlation=0.1, seed=1)
    # a correlated field is smoother: much smaller mean squared differences between neighbours
    assert np.mean(np.diff(smooth.reshape(32, 32), axis=0) ** 2) < 0.2 * np.mean(
        np.diff(random_field((32, 32), seed=1).reshape(32, 32), axis=0) ** 2)
    s = smooth_source((16, 16), seed=3, dtype=np.float32)
    assert s.dtype == np.float32 and np.abs(s).max() > 0.1


def test_bad_gallery_input():
    with pytest.raises(ValueError, match="positive and finite"):
        poisson_variable_coefficient(-np.ones((4, 4)))
    with pytest.raises(ValueError, match="2 or 3 ints"):
        random_field((8,))
    with pytest.raises(ValueError, match="`radius`"):
        obstacle_mask((8, 8), radius=0.7)
