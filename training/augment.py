"""Augmentation aimed at what people draw and photograph: rotation, shear, scale, translation, stroke
thickness and a little blur. Pure TensorFlow ops so it runs inside tf.data, in parallel with training."""
from __future__ import annotations

import math

import tensorflow as tf

MAX_ROTATE_DEG = 12.0
MAX_SHEAR = 0.2
SCALE_RANGE = (0.85, 1.12)
MAX_SHIFT_PX = 2.5
THICKNESS_PROB = 0.4  # share of digits whose strokes are made thicker or thinner


def _affine_transforms(batch: int) -> tf.Tensor:
    """Per-image 8-parameter projective transforms (output -> input mapping) about the image centre."""
    angle = tf.random.uniform([batch], -1.0, 1.0) * (MAX_ROTATE_DEG * math.pi / 180.0)
    shear = tf.random.uniform([batch], -MAX_SHEAR, MAX_SHEAR)
    sx = tf.random.uniform([batch], *SCALE_RANGE)
    sy = sx * tf.random.uniform([batch], 0.92, 1.08)  # slight independent aspect change
    tx = tf.random.uniform([batch], -MAX_SHIFT_PX, MAX_SHIFT_PX)
    ty = tf.random.uniform([batch], -MAX_SHIFT_PX, MAX_SHIFT_PX)
    cos, sin = tf.cos(angle), tf.sin(angle)
    # Forward map A = R @ Shear @ S; the op wants the inverse (output pixel -> input pixel).
    a00, a01 = cos * sx, (cos * shear - sin) * sy
    a10, a11 = sin * sx, (sin * shear + cos) * sy
    det = a00 * a11 - a01 * a10
    i00, i01, i10, i11 = a11 / det, -a01 / det, -a10 / det, a00 / det
    c = 13.5
    # input = Inv @ (out - c - t) + c
    ox, oy = c + tx, c + ty
    b0 = c - (i00 * ox + i01 * oy)
    b1 = c - (i10 * ox + i11 * oy)
    zeros = tf.zeros([batch])
    return tf.stack([i00, i01, b0, i10, i11, b1, zeros, zeros], axis=1)


def _thickness(images: tf.Tensor) -> tf.Tensor:
    """Blend each image with its dilation or erosion by a random amount: thicker or thinner strokes."""
    batch = tf.shape(images)[0]
    dilated = tf.nn.max_pool2d(images, 3, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
    amount = tf.random.uniform([batch, 1, 1, 1], 0.0, 1.0)
    pick = tf.random.uniform([batch, 1, 1, 1])
    target = tf.where(pick < 0.5, dilated, eroded)
    apply = tf.cast(tf.random.uniform([batch, 1, 1, 1]) < THICKNESS_PROB, images.dtype)
    return images + apply * amount * (target - images)


def augment_batch(images: tf.Tensor) -> tf.Tensor:
    """images: float32 [B, 28, 28, 1] in [0, 1]."""
    batch = tf.shape(images)[0]
    images = _thickness(images)
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=_affine_transforms(batch),
        output_shape=tf.constant([28, 28]),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return tf.clip_by_value(images, 0.0, 1.0)
