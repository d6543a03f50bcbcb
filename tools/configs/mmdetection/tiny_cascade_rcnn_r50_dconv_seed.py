# The seed team's recipe, narrow: box-only Cascade R-CNN, DCN on res3..res5, 4 classes, anchor ratios
# [0.2, 0.5, 1.0, 2.0, 5.0], images resized into 1080 x 920 keeping the ratio.
_base_ = ['./_base_/tiny_cascade_rcnn_r50_fpn.py', './_base_/test_pipeline_800.py']
classes = ('holothurian', 'echinus', 'scallop', 'starfish')
model = dict(
    backbone=dict(dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
                  stage_with_dcn=(False, True, True, True)),
    rpn_head=dict(anchor_generator=dict(ratios=[0.2, 0.5, 1.0, 2.0, 5.0])),
    roi_head=dict(bbox_head=[
        dict(type='Shared2FCBBoxHead', in_channels=32, fc_out_channels=32, roi_feat_size=7, num_classes=4,
             bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.], target_stds=[0.1, 0.1, 0.2, 0.2]),
             reg_class_agnostic=True, loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
        dict(type='Shared2FCBBoxHead', in_channels=32, fc_out_channels=32, roi_feat_size=7, num_classes=4,
             bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                             target_stds=[0.05, 0.05, 0.1, 0.1]),
             reg_class_agnostic=True, loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
        dict(type='Shared2FCBBoxHead', in_channels=32, fc_out_channels=32, roi_feat_size=7, num_classes=4,
             bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                             target_stds=[0.033, 0.033, 0.067, 0.067]),
             reg_class_agnostic=True, loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    ]))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiScaleFlipAug', img_scale=(1080, 920), flip=False,
         transforms=[
             dict(type='Resize', keep_ratio=True),
             dict(type='RandomFlip'),
             dict(type='Normalize', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True),
             dict(type='Pad', size_divisor=32),
             dict(type='ImageToTensor', keys=['img']),
             dict(type='Collect', keys=['img']),
         ])
]
data = dict(test=dict(classes=classes, pipeline=test_pipeline))
