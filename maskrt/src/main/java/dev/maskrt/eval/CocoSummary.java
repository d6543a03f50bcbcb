package dev.maskrt.eval;

import java.util.Map;

/**
 * The result of a COCO evaluation.
 *
 * @param stats the 12 numbers of pycocotools {@code COCOeval.stats} (AP, AP50, AP75, APs, APm, APl, then the three
 *     AR-by-maxDets slots and ARs, ARm, ARl); -1 where there is no ground truth for the setting
 * @param table the lines pycocotools {@code summarize()} prints, joined with {@code '\n'} (no trailing newline)
 * @param named the stats by name, in the order AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl. The
 *     names are fixed; with a non-default {@code maxDets} list, AR1/AR10/AR100 hold AR at the first, second and
 *     last maxDets value (the table labels them with the real values), see {@link CocoEvaluator}
 * @param perCategoryAp AP@[.50:.95], area all, largest maxDets, per category id (as detectron2 reports it); -1 for a
 *     category without ground truth
 */
public record CocoSummary(double[] stats, String table, Map<String, Double> named, Map<Integer, Double> perCategoryAp) {}
