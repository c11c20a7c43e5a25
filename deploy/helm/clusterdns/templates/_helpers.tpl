{{/* The name of every object but the kube-dns Service: one cluster DNS per cluster, so it
does not follow the release's name. */}}
{{- define "clusterdns.fullname" -}}
{{- default "clusterdns" .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* What the pods and selectors carry. Never the release's labels: a Deployment's selector
cannot change, and the same pods must match whether Helm or Kustomize installed them. */}}
{{- define "clusterdns.selectorLabels" -}}
app.kubernetes.io/name: {{ include "clusterdns.fullname" . }}
{{- end -}}

{{/* Helm's own labels, on the objects' metadata only. */}}
{{- define "clusterdns.helmLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "clusterdns.labels" -}}
{{ include "clusterdns.selectorLabels" . }}
{{ include "clusterdns.helmLabels" . }}
{{- end -}}

{{- define "clusterdns.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "clusterdns.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The container ports: one UDP and one TCP per server port, named by the first server
of that port with a portName (port 53: dns). */}}
{{- define "clusterdns.containerPorts" -}}
{{- $seen := dict -}}
{{- range .Values.servers -}}
{{- $port := toString .port -}}
{{- if not (hasKey $seen $port) -}}
{{- $name := .portName | default (ternary "dns" (printf "dns-%s" $port) (eq $port "53")) -}}
{{- $_ := set $seen $port $name }}
- name: {{ $name }}
  containerPort: {{ .port }}
  protocol: UDP
- name: {{ $name }}-tcp
  containerPort: {{ .port }}
  protocol: TCP
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The metrics port: the first prometheus plugin's, as in CoreDNS's chart. */}}
{{- define "clusterdns.metricsPort" -}}
{{- $port := "" -}}
{{- range .Values.servers -}}
{{- range .plugins -}}
{{- if and (eq .name "prometheus") (not $port) -}}
{{- $port = regexFind "[0-9]+$" (toString (.parameters | default ":9153")) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $port -}}
{{- end -}}

{{/* The Corefile: snippets, then each server block. */}}
{{- define "clusterdns.corefile" -}}
{{- range .Values.snippets }}
({{ .name }}) {
{{ .body | indent 4 }}
}
{{ end -}}
{{- range .Values.servers }}
{{ range $i, $z := .zones }}{{ if $i }} {{ end }}{{ $z.scheme | default "" }}{{ $z.zone }}{{ end }}:{{ .port }} {
{{- range .plugins }}
    {{ .name }}{{ if .parameters }} {{ .parameters }}{{ end }}{{ if .configBlock }} {
{{ .configBlock | indent 8 }}
    }{{ end }}
{{- end }}
}
{{ end -}}
{{- end -}}
