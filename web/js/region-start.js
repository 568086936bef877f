// Region read and region chosen, for uploads (issue 7, "In the page"): connects the controller's answers
// to the boxes over the picture (region-view.js) and the user's box (crop-tool.js) back to the controller.
//
//   answer for an upload   -> its box(es) drawn over the picture; the crop tools appear
//   the user's box         -> the upload cropped to it (region-crop.js) becomes the controller's input,
//                             read by the same recognize() as any input; its answer is mapped back
//   "Automatic"            -> the whole upload is the input again
//   a drawing or a clear   -> boxes and tools hidden (the pad needs no crop tool)
import { CropTool } from "./crop-tool.js";
import { cropInput } from "./region-crop.js";
import { fractionsToBox, RegionError } from "./region-geometry.js";
import { RegionView } from "./region-view.js";

export function startRegion({ controller, view, doc = document }) {
  const $ = (id) => doc.getElementById(id);
  const regionView = new RegionView($("region-view"), doc);
  let source = null; // the upload's own input (never a crop)

  /** Read `box` ([x, y, w, h] in the upload's grey pixels). A bad box: a message, and false. */
  function choose(box) {
    if (!source) {
      view.showMessage("Upload a photo first: choosing a region works on an uploaded image.");
      return false;
    }
    let input;
    try {
      input = cropInput(source, box);
    } catch (err) {
      if (!(err instanceof RegionError)) throw err;
      view.showMessage(err.message);
      return false;
    }
    view.showMessage("");
    tool.cancel(); // a box chosen through the hook ends drawing too
    controller.setInput(input);
    return true;
  }

  function chooseFractions(rect) {
    if (!source) return choose(null);
    try {
      return choose(fractionsToBox(rect, source));
    } catch (err) {
      if (!(err instanceof RegionError)) throw err;
      view.showMessage(err.message);
      return false;
    }
  }

  function reset() {
    if (!source) return;
    view.showMessage("");
    controller.setInput(source);
  }

  const tool = new CropTool({
    els: {
      surface: $("crop-tool"), tools: $("region-tools"), start: $("crop-start"), apply: $("crop-apply"),
      reset: $("crop-reset"), hint: $("region-hint"),
    },
    view: regionView,
    onChoose: chooseFractions,
    onReset: reset,
  });

  controller.onResult((result, input) => {
    const upload = input && (input.region ? input.region.source : input.frame ? input : null);
    if (!upload) {
      source = null;
      regionView.hide();
      tool.setAvailable(false);
      return;
    }
    if (upload !== source) tool.cancel(); // a new picture: a box being drawn on the old one is dropped
    source = upload;
    const chosen = input.region ? input.region.box : null;
    regionView.show(source, result, chosen);
    tool.setAvailable(true, Boolean(chosen));
    if (chosen && result.status === "empty") {
      view.showMessage("No digit in the box you chose: draw it around one digit, or press Automatic.", "info");
    }
  });

  // For tests (window.__digits.region): the same paths the buttons take.
  return {
    choose,
    chooseFractions,
    reset,
    get source() {
      return source && { width: source.width, height: source.height, frame: { ...source.frame } };
    },
  };
}
