"""Duplicates: groups of copies, what goes to Unique, and the pixel check."""
import numpy as np
import pytest
from PIL import Image

from imgflow.api import Cancelled, Context, WidgetError
from imgflow.data import Column, Table
from imgflow.widgets.common import distance_metrics as metrics
from imgflow.widgets.duplicates import Duplicates, groups
from tests.support.images import make_photo

RNG = np.random.default_rng(11)


def table(X, width=None, images=None) -> Table:
    X = np.asarray(X, dtype=float)
    columns = [Column.text("image name", [f"r{i}" for i in range(len(X))])]
    if width is not None:
        columns += [Column.numeric("width", width), Column.numeric("height", np.ones(len(X)))]
    if images is not None:
        columns.append(Column.image("image", images))
    return Table(X, tuple(f"n{i}" for i in range(X.shape[1])), tuple(columns))


def run(t, ctx=None, **settings):
    ctx = ctx or Context()
    result = Duplicates().compute({"Data": t}, {**Duplicates.default_settings(),
                                                "compare_pixels": False, **settings}, ctx)
    return result, ctx


def near(v, scale=1e-4):
    return v + RNG.normal(scale=scale, size=v.shape)


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(metrics, "WORK_BLOCK_BYTES", 1)


def test_copies_form_groups_in_order_of_their_first_row(small_blocks):
    base = RNG.normal(size=(40, 8))            # random directions: far apart
    X = np.vstack([base, near(base[5]), near(base[2]), near(base[5])])
    result, _ = run(table(X), threshold=0.01)
    group = result.outputs["Data"].column("Duplicate group").data
    assert group[2] == group[41] == "D1"       # row 2's group starts first
    assert group[5] == group[40] == group[42] == "D2"
    assert sum(g is not None for g in group) == 5
    duplicates = result.outputs["Duplicates"]
    assert list(duplicates.column("image name").data) == ["r2", "r41", "r5", "r40", "r42"]


def test_a_chain_of_close_pairs_is_one_group():
    a = RNG.normal(size=8)
    X = np.vstack([a, a + 0.05 * RNG.normal(size=8), RNG.normal(size=(5, 8))])
    X = np.vstack([X, X[1] + 0.05 * RNG.normal(size=8)])   # close to row 1, not to row 0
    assert metrics_cos(X[0], X[7]) > metrics_cos(X[1], X[7])
    threshold = max(metrics_cos(X[0], X[1]), metrics_cos(X[1], X[7])) + 1e-9
    result, _ = run(table(X), threshold=threshold)
    group = result.outputs["Data"].column("Duplicate group").data
    assert group[0] == group[1] == group[7] == "D1"
    assert all(g is None for g in group[2:7])


def metrics_cos(a, b):
    return 1 - a @ b / np.linalg.norm(a) / np.linalg.norm(b)


def test_unique_keeps_the_largest_image_of_each_group_then_the_first():
    base = RNG.normal(size=(6, 5))
    X = np.vstack([base, near(base[0]), near(base[0]), near(base[3])])
    width = [10, 1, 1, 50, 1, 1, 30, 30, 50]       # row 3 and its copy: a tie
    result, _ = run(table(X, width=width), threshold=0.01)
    unique = list(result.outputs["Unique"].column("image name").data)
    assert unique == ["r1", "r2", "r3", "r4", "r5", "r6"]      # r6 beats r0 and r7 (first of 30s)
    assert result.view.kept == (6, 3)


def test_folding_many_pairs_into_components_gives_the_same_groups():
    X = np.vstack([RNG.normal(size=(1, 6))] * 30 + [RNG.normal(size=(20, 6))])
    labels, _ = groups.close_pairs_components(X, 0.01)
    folded, _ = groups.close_pairs_components(X, 0.01, fold_pairs=3)
    assert (groups.numbered_groups(labels) == groups.numbered_groups(folded)).all()


def test_no_copies_gives_every_row_to_unique_and_no_duplicates_output():
    t = table(RNG.normal(size=(20, 6)))
    result, _ = run(t, threshold=0.001)
    assert result.outputs["Duplicates"] is None and len(result.outputs["Unique"]) == 20
    assert "No duplicates" in result.info


def test_a_single_row_is_simply_unique():
    result, _ = run(table(RNG.normal(size=(1, 4))))
    assert len(result.outputs["Unique"]) == 1 and result.outputs["Duplicates"] is None


def test_rows_with_missing_values_are_never_grouped_with_a_warning():
    a = RNG.normal(size=5)
    X = np.vstack([a, a, RNG.normal(size=5), [np.nan] * 5, [np.nan] * 5])
    result, ctx = run(table(X), threshold=0.01)
    group = result.outputs["Data"].column("Duplicate group").data
    assert group[0] == group[1] == "D1" and group[3] is None and group[4] is None
    assert "2 row(s) with missing values were not compared" in ctx.warnings[0]


def test_no_numeric_columns_is_a_clear_error():
    with pytest.raises(WidgetError, match="no numeric columns.*Image Embedding"):
        run(Table.from_columns([Column.image("image", ["a.jpg"])]))


def test_cancel_stops_between_blocks(small_blocks):
    ctx = Context(on_progress=lambda f: ctx.cancel())
    with pytest.raises(Cancelled):
        run(table(RNG.normal(size=(60, 4))), ctx)


def test_pixels_tell_a_copy_from_a_different_picture_with_the_same_embedding(tmp_path):
    photo = make_photo("discs", 1)
    photo.save(tmp_path / "a.jpg", quality=95)
    photo.resize((192, 144), Image.Resampling.LANCZOS).save(tmp_path / "a-small.jpg", quality=75)
    make_photo("discs", 2).save(tmp_path / "b.jpg", quality=95)   # same kind, other picture
    v = RNG.normal(size=6)
    X = np.vstack([v, near(v), near(v)])       # the embedding cannot tell them apart
    images = [str(tmp_path / n) for n in ("a.jpg", "a-small.jpg", "b.jpg")]
    result, _ = run(table(X, images=images), compare_pixels=True, threshold=0.3)
    group = result.outputs["Data"].column("Duplicate group").data
    assert list(group) == ["D1", "D1", None]
    result, _ = run(table(X, images=images), compare_pixels=False, threshold=0.3)
    assert list(result.outputs["Data"].column("Duplicate group").data) == ["D1"] * 3


def test_an_unreadable_image_is_not_grouped_and_is_counted(tmp_path):
    make_photo("checks", 1).save(tmp_path / "a.jpg")
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    v = RNG.normal(size=4)
    images = [str(tmp_path / "a.jpg"), str(tmp_path / "broken.jpg")]
    result, ctx = run(table(np.vstack([v, v]), images=images), compare_pixels=True)
    assert result.outputs["Duplicates"] is None
    assert "1 image(s) could not be read" in ctx.warnings[0]


def test_without_images_the_pixel_check_says_the_threshold_decides():
    v = RNG.normal(size=4)
    result, ctx = run(table(np.vstack([v, v])), compare_pixels=True)
    assert result.outputs["Duplicates"] is not None
    assert "threshold alone" in ctx.warnings[0]


def test_planted_copies_of_real_photos(shared_data, tmp_path):
    """The default settings find resized, re-compressed and exact copies of real photos
    and join no two different ones (benchmarks/duplicates.py measures all of animals4)."""
    import shutil

    from tests.widgets.real_embeddings import embedded_folder
    folder = tmp_path / "photos"
    originals = sorted((shared_data / "animals4" / "butterfly").glob("*.jpg"))
    (folder / "butterfly").mkdir(parents=True)
    for path in originals:
        shutil.copyfile(path, folder / "butterfly" / path.name)
    for path in originals[:6]:
        with Image.open(path) as image:
            small = image.convert("RGB").resize((round(image.width * 0.6),
                                                 round(image.height * 0.6)))
        small.save(folder / f"small-{path.name}", quality=75)
        shutil.copyfile(path, folder / f"same-{path.name}")
    t = embedded_folder(folder)
    result = Duplicates().compute({"Data": t}, Duplicates.default_settings(), Context())
    duplicates = result.outputs["Duplicates"]
    names = list(duplicates.column("image name").data)
    assert len(result.view.groups) == 6 and len(names) == 18
    for group in result.view.groups:
        stems = {t.column("image name").data[r].removeprefix("small-").removeprefix("same-")
                 for r in group}
        assert len(stems) == 1                          # one photo per group
    assert len(result.outputs["Unique"]) == len(originals)


def planted_copies(n=4000, width=64, copies=60, noise=0.15, seed=3):
    """Embedding-like rows in a few kinds, some rows with a noisy copy (cosine about 0.99)."""
    rng = np.random.default_rng(seed)
    kinds = rng.normal(size=(8, width))
    X = kinds[rng.integers(0, 8, n)] + rng.normal(size=(n, width))
    originals = rng.choice(n, copies, replace=False)
    X = np.vstack([X, X[originals] + noise * rng.normal(size=(copies, width))])
    return X.astype(np.float32)


def test_the_index_finds_the_same_groups_as_every_pair():
    """Above approximate_rows an IVF index searches: same groups as measuring all pairs."""
    X = planted_copies()
    exact, near_exact = groups.close_pairs_components(X, 0.1)
    indexed, near_indexed = groups.close_pairs_components(X, 0.1, approximate_rows=100)
    assert (groups.numbered_groups(exact) >= 0).sum() == 120      # the planted pairs, no more
    assert (groups.numbered_groups(exact) == groups.numbered_groups(indexed)).all()
    np.testing.assert_allclose(near_indexed, near_exact, atol=1e-6)   # float32 products


def test_the_index_passes_its_close_pairs_to_the_pixel_check():
    X = planted_copies()
    asked = []

    def confirm(i, j):
        asked.extend(zip(i.tolist(), j.tolist()))
        return i % 2 == 0                 # "the pixels differ" for pairs from an odd row

    labels, _ = groups.close_pairs_components(X, 0.1, confirm, approximate_rows=100)
    grouped = groups.numbered_groups(labels) >= 0
    assert len(set(asked)) == 60 and all(i < j for i, j in asked)
    assert grouped.sum() == 2 * sum(i % 2 == 0 for i, _ in set(asked))
