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

  // Point normals for smooth shading (the archive leaves them out): each vertex gets the
  // sum of its triangles' normals, each as long as twice the triangle's area, normalised.
  // polys is vtk's legacy cell array: n, then n point ids, for each cell (triangles here).
  function addNormals(polydata) {
    var xyz = polydata.getPoints().getData();
    var polys = polydata.getPolys().getData();
    var sum = new Float32Array(xyz.length);
    for (var c = 0; c < polys.length; c += polys[c] + 1) {
      if (polys[c] !== 3) {
        continue;
      }
      var a = 3 * polys[c + 1];
      var b = 3 * polys[c + 2];
      var d = 3 * polys[c + 3];
      var ux = xyz[b] - xyz[a], uy = xyz[b + 1] - xyz[a + 1], uz = xyz[b + 2] - xyz[a + 2];
      var vx = xyz[d] - xyz[a], vy = xyz[d + 1] - xyz[a + 1], vz = xyz[d + 2] - xyz[a + 2];
      var nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
      [a, b, d].forEach(function (p) {
        sum[p] += nx;
        sum[p + 1] += ny;
        sum[p + 2] += nz;
      });
    }
    for (var p = 0; p < sum.length; p += 3) {
      var length = Math.hypot(sum[p], sum[p + 1], sum[p + 2]) || 1;
      sum[p] /= length;
      sum[p + 1] /= length;
      sum[p + 2] /= length;
    }
    var normals = polydata.getPoints().newClone(); // an empty float32 3-component array
    normals.setData(sum, 3);
    normals.setName("Normals");
    polydata.getPointData().setNormals(normals);
    polydata.modified();
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
      sceneActors().forEach(function (actor, i) {
        if (manifest.actors[i].normals) {
          addNormals(actor.getMapper().getInputData());
        }
      });
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
