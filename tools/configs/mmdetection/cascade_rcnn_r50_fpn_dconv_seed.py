# The seed team's model at full size, for the benchmark against real mmdetection: mmdetection's
# cascade_rcnn_r50_fpn (ResNet-50 pytorch style, FPN 256, Shared2FCBBoxHead 1024) with DCN on res3..res5
# (configs/dcn/cascade_rcnn_r50_fpn_dconv_c3-c5_1x_coco.py), 4 classes, anchor ratios [0.2, 0.5, 1.0, 2.0, 5.0],
# test scale 1080 x 920 keeping the ratio. Built on the narrow test model's base file with full widths.
_base_ = ['./tiny_cascade_rcnn_r50_dconv_seed.py']
model = dict(
    backbone=dict(base_channels=64),
    neck=dict(in_channels=[256, 512, 1024, 2048], out_channels=256),
    rpn_head=dict(in_channels=256, feat_channels=256),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=256),
        bbox_head=[
            dict(type='Shared2FCBBoxHead', in_channels=256, fc_out_channels=1024, roi_feat_size=7, num_classes=4,
                 bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                 target_stds=[0.1, 0.1, 0.2, 0.2]),
                 reg_class_agnostic=True, loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
            dict(type='Shared2FCBBoxHead', in_channels=256, fc_out_channels=1024, roi_feat_size=7, num_classes=4,
                 bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                 target_stds=[0.05, 0.05, 0.1, 0.1]),
                 reg_class_agnostic=True, loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
            dict(type='Shared2FCBBoxHead', in_channels=256, fc_out_channels=1024, roi_feat_size=7, num_classes=4,
                 bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                 target_stds=[0.033, 0.033, 0.067, 0.067]),
                 reg_class_agnostic=True, loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
        ]))
