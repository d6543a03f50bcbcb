# Narrow Cascade Mask R-CNN R-50-FPN: three FCN mask heads (one per stage) whose sigmoids are averaged at test time.
_base_ = ['./_base_/tiny_cascade_rcnn_r50_fpn.py', './_base_/test_pipeline_800.py']
model = dict(
    roi_head=dict(
        mask_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=32,
            featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(type='FCNMaskHead', num_convs=4, in_channels=32, conv_out_channels=32, num_classes=3,
                       loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
    test_cfg=dict(rcnn=dict(mask_thr_binary=0.5)))
