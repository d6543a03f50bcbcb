# tiny_cascade_mask_rcnn_r50.py with mmdetection's multi-scale + flip testing (MultiScaleFlipAug -> aug_test, masks included).
_base_ = ['./tiny_cascade_mask_rcnn_r50.py']
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiScaleFlipAug', img_scale=[(1333, 800), (1000, 600)], flip=True,
         transforms=[
             dict(type='Resize', keep_ratio=True),
             dict(type='RandomFlip'),
             dict(type='Normalize', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True),
             dict(type='Pad', size_divisor=32),
             dict(type='ImageToTensor', keys=['img']),
             dict(type='Collect', keys=['img']),
         ])
]
data = dict(test=dict(pipeline=test_pipeline))
