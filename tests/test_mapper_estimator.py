"""Mapper follows scikit-learn's estimator rules: parameters in, fitted attributes out."""

import pytest
from sklearn.base import clone
from sklearn.cluster import DBSCAN
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks

from tda_pipe.datasets import circle
from tda_pipe.errors import InputError
from tda_pipe.tda.mapper import Cover, Mapper

PARAMS = {"lens", "cover", "clusterer", "min_gap", "min_samples", "n_neighbors"}


def members(G) -> set:
    return {tuple(G.nodes[u]["members"].tolist()) for u in G}


@pytest.fixture(scope="module")
def ring():
    return circle(200, noise=0.03, seed=0)


def test_clone_gives_an_unfitted_copy_that_fits_the_same_graph(ring):
    mapper = Mapper(lens="coordinate:1", cover=(8, 0.3)).fit(ring)
    twin = clone(mapper)
    assert twin is not mapper and twin.get_params() == mapper.get_params()
    assert not hasattr(twin, "graph_")
    with pytest.raises(NotFittedError):
        twin.graph  # noqa: B018
    assert members(twin.fit(ring).graph) == members(mapper.graph)
    assert twin.graph is twin.graph_


def test_get_params_and_set_params(ring):
    mapper = Mapper(clusterer=DBSCAN(eps=0.2, min_samples=3))
    assert set(mapper.get_params(deep=False)) == PARAMS
    deep = mapper.get_params()
    assert deep["clusterer__eps"] == 0.2 and deep["cover"] == (10, 0.3)
    assert mapper.set_params(cover=(6, 0.2), clusterer__eps=0.5) is mapper
    assert mapper.cover == (6, 0.2) and mapper.clusterer.eps == 0.5
    G = mapper.set_params(lens="coordinate:0").fit(ring).graph
    assert G.graph["n_intervals"] == 6 and G.graph["overlap"] == 0.2
    with pytest.raises(ValueError, match="Invalid parameter"):
        mapper.set_params(n_cubes=4)


def test_refit_replaces_every_fitted_attribute(ring):
    mapper = Mapper(lens="pca:2", cover=(4, 0.3), clusterer="dbscan").fit(ring)
    first_graph, first_cubes = mapper.graph_, mapper.cubes_
    assert mapper.lens_.shape == (200, 2) and mapper.cover_ == Cover(4, 0.3)
    other = circle(120, noise=0.01, seed=5) * 3.0
    mapper.set_params(lens="coordinate:0", cover=Cover(5, 0.25, "balanced")).fit(other)
    assert mapper.lens_.shape == (120, 1) and mapper.graph_ is not first_graph
    assert mapper.cover_ is mapper.cover and mapper.cubes_ is not first_cubes
    assert mapper.graph.graph["n_points"] == 120 and mapper.graph.graph["cover"] == "balanced"
    assert mapper.min_gap_ > 0


def test_init_stores_parameters_and_fit_names_the_bad_one(ring):
    bad = {
        "clusterer": "kmeans",
        "min_gap": -1.0,
        "min_samples": 0,
        "n_neighbors": 2.5,
        "cover": "ten",
    }
    for name, value in bad.items():
        mapper = Mapper(**{name: value})  # no check here: scikit-learn's rule
        assert mapper.get_params()[name] == value
        with pytest.raises(InputError, match=f"^The '{name}' parameter of Mapper must be"):
            mapper.fit(ring)
    for cover in [(0, 0.3), (5, 1.0), (5,)]:
        with pytest.raises(InputError, match="^The 'cover' parameter of Mapper"):
            Mapper(cover=cover).fit(ring)
    with pytest.raises(InputError, match="'clusterer' parameter of Mapper.*fit_predict"):
        Mapper(clusterer=object()).fit(ring)


def test_repr_shows_the_changed_parameters():
    assert repr(Mapper()) == "Mapper()"
    assert (
        repr(Mapper("eccentricity", cover=(8, 0.4)))
        == "Mapper(cover=(8, 0.4), lens='eccentricity')"
    )


@pytest.mark.parametrize(
    "check",
    [
        "check_no_attributes_set_in_init",
        "check_parameters_default_constructible",
        "check_get_params_invariance",
        "check_set_params",
        "check_dont_overwrite_parameters",
        "check_estimators_overwrite_params",
    ],
)
def test_scikit_learn_estimator_checks(check):
    getattr(estimator_checks, check)("Mapper", Mapper(lens="coordinate:0", cover=(3, 0.3)))
