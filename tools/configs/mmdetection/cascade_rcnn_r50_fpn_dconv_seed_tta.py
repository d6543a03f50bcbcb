# The full-size seed model with mmdetection's multi-scale + flip testing, for the TTA benchmark: two scales, each
# also flipped (MultiScaleFlipAug -> TwoStageDetector.aug_test).
_base_ = ['./cascade_rcnn_r50_fpn_dconv_seed.py']
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiScaleFlipAug', img_scale=[(1080, 920), (800, 600)], flip=True,
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
