"""Realistic synthetic images for training and evaluation: digits, non-digits and whole numbers written on
photographed paper, drawn on a pad or plotted in a screenshot. NumPy + Pillow only (no TensorFlow), seeded:
the same (split, seed, index) always gives the same image.

    split.py     which writers, fonts and papers belong to training and which to evaluation (the one place)
    strokes.py   anti-aliased lines and pen strokes as alpha masks
    glyphs.py    digits as ink masks: MNIST digits made into pen strokes, handwriting-font digits
    marks.py     non-digit ink: letters, shapes, scribbles, blobs, specks, stray pen marks
    paper.py     paper colour and texture, ruled/grid/dot lines, margin, boxes, underlines, frames
    ink.py       pen colours, pencil grain, faint ink; laying ink masks onto paper
    capture.py   light gradients, hard shadows, perspective and rotation, blur, noise, JPEG
    plot.py      screenshots of a colour-mapped digit inside plot axes
    scene.py     one image: a digit or a non-digit as a photo, a drawing or a plot, with its metadata
    numbers.py   several digits in a row (2-6), separated or touching, with per-digit boxes
    dataset.py   many scenes through the run-time preprocessing into cached 28x28 arrays, in parallel
"""
