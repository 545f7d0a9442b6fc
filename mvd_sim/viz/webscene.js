// The case report's interactive 3D scene (mvd_sim/viz/webscene.py writes what it reads).
//
// Reads the manifest (#mvd-scene-manifest, JSON) and the vtk.js archive (#mvd-scene-data,
// base64), has vtk.js's offline viewer (the module script after this one) load the archive
// into #mvd-scene, then drives its actors: one checkbox per group of structures
// (input[data-group]), one radio button per state (name="mvd-state") and per pulse phase
// (name="mvd-phase"), and a button that puts the camera back (#mvd-scene-reset). The
// manifest lists the actors in the order vtk.js holds them, renderer by renderer (the case,
// then the contact patches drawn over it). When the scene is ready,
// #mvd-scene gets data-ready="true"; if it never loads, #mvd-scene-status says so.
(function () {
  "use strict";
  var manifest = JSON.parse(document.getElementById("mvd-scene-manifest").textContent);
  var archive = document.getElementById("mvd-scene-data").textContent.replace(/\s+/g, "");
  var container = document.getElementById("mvd-scene");
  var status = document.getElementById("mvd-scene-status");
  var WAIT_MS = 50;
  var TRIES = 600; // 30 s

  window.global = window.global || {}; // vtk.js's viewer keeps its render window there

  function renderWindow() {
    return window.global.renderWindow || null;
  }

  // The renderers holding the case, in the manifest's order (vtk.js's full-screen window
  // adds an empty one before them), or null until they are all loaded.
  function sceneRenderers() {
    var rw = renderWindow();
    if (!rw) {
      return null;
    }
    var counts = manifest.renderers;
    var renderers = rw.getRenderers().slice(-counts.length);
    if (renderers.length !== counts.length) {
      return null;
    }
    for (var i = 0; i < counts.length; i += 1) {
      if (renderers[i].getActors().length !== counts[i]) {
        return null;
      }
    }
    return renderers;
  }

  function sceneActors() {
    return sceneRenderers().reduce(function (all, r) { return all.concat(r.getActors()); },
                                   []);
  }

  function chosen(name) {
    var input = document.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : null;
  }

  function shown(group) {
    var boxes = document.querySelectorAll("input[data-group]");
    for (var i = 0; i < boxes.length; i += 1) {
      if (boxes[i].getAttribute("data-group") === group) {
        return boxes[i].checked;
      }
    }
    return true;
  }

  function apply() {
    var view = chosen("mvd-state") + "/" + chosen("mvd-phase");
    var patches = shown(manifest.patches);
    sceneActors().forEach(function (actor, i) {
      var entry = manifest.actors[i];
      actor.setVisibility(shown(entry.group) && (entry.view === null || entry.view === view));
      if (entry.patches) {
        actor.getMapper().setScalarVisibility(patches);
      }
    });
    renderWindow().render();
  }

  function resetCamera() {
    var renderer = sceneRenderers()[0]; // the layer on top shares its camera
    var camera = renderer.getActiveCamera();
    camera.setPosition.apply(camera, manifest.camera.position);
    camera.setFocalPoint.apply(camera, manifest.camera.focus);
    camera.setViewUp.apply(camera, manifest.camera.up);
    camera.setViewAngle(manifest.camera.view_angle_deg);
    renderer.resetCameraClippingRange();
    renderer.updateLightsGeometryToFollowCamera(); // as a drag does: the head light moves
    renderWindow().render();
  }

  function wire() {
    var inputs = document.querySelectorAll(
      'input[data-group], input[name="mvd-state"], input[name="mvd-phase"]');
    for (var i = 0; i < inputs.length; i += 1) {
      inputs[i].addEventListener("change", apply);
      inputs[i].disabled = false;
    }
    var reset = document.getElementById("mvd-scene-reset");
    reset.addEventListener("click", resetCamera);
    reset.disabled = false;
  }

  function whenLoaded(tries) {
    if (sceneRenderers()) {
      resetCamera();
      apply();
      wire();
      status.textContent = "";
      container.setAttribute("data-ready", "true");
    } else if (tries > 0) {
      setTimeout(function () { whenLoaded(tries - 1); }, WAIT_MS);
    } else {
      status.textContent = "The 3D scene did not load in this browser (it needs WebGL).";
      console.error("mvd-sim: the 3D scene did not load");
    }
  }

  // vtk.js's viewer calls this once its module has run.
  window.loadDataSet = function () {
    window.loadDataSet = null; // once
    window.OfflineLocalView.load(container, { base64Str: archive });
    whenLoaded(TRIES);
  };
}());
