--- transfer: cluster labels come from another model family's ladder (§5.3.1). Give the
--- source ladder's model names in job.transfer_ladder (codlua predict --transfer-ladder),
--- or labels saved by an earlier report (labels.csv; --labels FILE), by item id in job.transfer_labels.
local recipe = require("cod.recipes.cod")

local function labels_from_source(job)
  if job.transfer_labels then return job.transfer_labels end
  if not job.transfer_ladder then
    require("cod.errors").user("recipe 'transfer' needs source labels: --labels FILE or --transfer-ladder M1,M2,...")
  end
  -- Cluster on the source family's features, then reuse the labels by item id.
  local cluster = require("cod.cluster")
  local X = job.ds:features(job.set, job.transfer_ladder)
  local res = cluster.improved_meanshift(X)
  local labels, ids = {}, job.ds:items(job.set)  -- X's rows are the dataset's items, not the job's (bootstrap) rows
  for i, l in ipairs(res.labels) do labels[ids[i]] = l end
  return labels
end

return recipe:with({ cluster = { labels = labels_from_source } })
  :rename("transfer", "COD with cluster labels transferred from another family")
