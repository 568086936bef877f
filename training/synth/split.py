"""Who writes in training and who in evaluation. Every held-out choice lives here, nowhere else.

- MNIST: training scenes use MNIST *train* digits (the validation scenes only the 5,000 digits that
  training.train.split_train_val holds out); evaluation scenes use MNIST *test* digits (other writers).
- Handwriting fonts: each family is on one side only. femkeklaver is left out (an outline font nobody writes
  with). The four extra "Because We ..." fonts of the fonts-bwht package are further training writers.
- Papers: the dotted-grid paper and the green-grid paper appear only in evaluation (held-out backgrounds);
  every other paper kind appears in both, with textures drawn from separate random streams.
"""
from __future__ import annotations

from pathlib import Path

FONT_ROOT = Path("/usr/share/fonts")

# family -> font files (relative to FONT_ROOT); Debian package in build.py's DEBIAN_PACKAGES.
TRAIN_FONTS = {
    "dkg": ["truetype/fifthhorseman/dkg.ttf", "truetype/fifthhorseman/dkgIt.ttf"],
    "humor-sans": ["truetype/humor-sans/Humor-Sans.ttf"],
    "rufscript": ["truetype/rufscript/Rufscript010.ttf"],
    "dancingscript": ["opentype/dancingscript/DancingScript-Regular.otf",
                      "opentype/dancingscript/DancingScript-Bold.otf"],
    "cabinsketch": ["truetype/cabinsketch/CabinSketch-Regular.ttf"],
    "bwht-build": ["opentype/bwht/BecauseWeBuild-Regular.otf"],
    "bwht-organize": ["opentype/bwht/BecauseWeOrganize-Regular.otf"],
    "bwht-mentor": ["opentype/bwht/BecauseWeMentor-Regular.otf"],
    "bwht-connect": ["opentype/bwht/BecauseWeConnect-Regular.otf"],
    "bwht-create": ["opentype/bwht/BecauseWeCreate-Regular.otf"],
}
EVAL_FONTS = {
    "breip": ["truetype/breip/Breip.ttf"],
    "bwht-learn": ["opentype/bwht/BecauseWeLearn-Regular.otf"],
    "kaushanscript": ["opentype/kaushanscript/KaushanScript-Regular.otf"],
    "comic-neue": ["opentype/comic-neue/ComicNeue-Regular.otf", "opentype/comic-neue/ComicNeue-Bold.otf"],
}

# Paper kinds only evaluation sees.
EVAL_ONLY_PAPERS = frozenset({"dot_grid", "green_grid"})

# Splits: "train" (training scenes), "val" (threshold choice: training writers, other random streams),
# "eval" (the committed evaluation sets: held-out writers, fonts and papers).
SPLITS = ("train", "val", "eval")
SPLIT_STREAM = {"train": 1, "val": 2, "eval": 3}  # first word of every random stream: no split shares one

# Letters that are not digits in disguise. Left out: O o D Q C c (0), I i l J j T t L f (1/7), S s (5),
# Z z (2), B (8/3), G b (6), q g a d P p e y (9/6/4), U u Y (4/0/7), r (7/1).
LETTERS = "AEFHKMNRVWXhkmnvwx"


def fonts_for(split: str) -> dict[str, list[Path]]:
    """family -> existing font files of a split (training and validation share the training fonts)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    table = EVAL_FONTS if split == "eval" else TRAIN_FONTS
    found = {fam: [FONT_ROOT / f for f in files if (FONT_ROOT / f).is_file()] for fam, files in table.items()}
    found = {fam: files for fam, files in found.items() if files}
    if not found:
        raise FileNotFoundError(
            f"no handwriting fonts for the {split} split under {FONT_ROOT}: run `python build.py setup` "
            "(installs the Debian fonts-* packages)")
    return found


def mnist_source(split: str) -> str:
    """Which MNIST digits a split draws from: 'train' (minus validation), 'val' (the held-out 5,000), 'test'."""
    return {"train": "train", "val": "val", "eval": "test"}[split]
