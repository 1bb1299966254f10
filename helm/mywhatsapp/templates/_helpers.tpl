{{/*
Helpers of the mywhatsapp chart. Every name starts with "mywhatsapp.".
Helpers that take a component get (dict "ctx" $ "component" "operator"|"api").
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "mywhatsapp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every object's name: fullnameOverride, else "<release>-<name>" (just the release when it already contains the name). */}}
{{- define "mywhatsapp.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := include "mywhatsapp.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one component's objects: "<fullname>-operator", "<fullname>-api". */}}
{{- define "mywhatsapp.componentName" -}}
{{- printf "%s-%s" (include "mywhatsapp.fullname" .ctx) .component }}
{{- end }}

{{/* Name of a cluster-scoped object of a component: unique per release and namespace. */}}
{{- define "mywhatsapp.clusterName" -}}
{{- printf "%s-%s-%s" .ctx.Release.Namespace (include "mywhatsapp.fullname" .ctx) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "chart-version" for the helm.sh/chart label. */}}
{{- define "mywhatsapp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select a component's pods (stable across upgrades). */}}
{{- define "mywhatsapp.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-%s" (include "mywhatsapp.name" .ctx) .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end }}

{{/* Every label of a component's objects. */}}
{{- define "mywhatsapp.labels" -}}
{{ include "mywhatsapp.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: mywhatsapp
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ include "mywhatsapp.chart" .ctx }}
{{- end }}

{{/* Namespace of the WhatsAppSession objects. */}}
{{- define "mywhatsapp.sessionsNamespace" -}}
{{- default .Release.Namespace .Values.sessionsNamespace }}
{{- end }}

{{/* Namespaces that hold sessions of this release (NetworkPolicy targets), one per line. */}}
{{- define "mywhatsapp.sessionNamespaces" -}}
{{- $all := list (include "mywhatsapp.sessionsNamespace" .) }}
{{- if .Values.rbac.clusterWide }}
{{- $all = concat $all .Values.operator.watchNamespaces }}
{{- end }}
{{- $all | uniq | join "\n" }}
{{- end }}

{{/* The image of the operator and API pods. */}}
{{- define "mywhatsapp.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Name of the Secret holding SECRET_KEY and the MySQL settings. */}}
{{- define "mywhatsapp.secretName" -}}
{{- default (include "mywhatsapp.componentName" (dict "ctx" . "component" "api")) .Values.api.existingSecret }}
{{- end }}

{{/* Pod-level fields shared by the operator and API pods. */}}
{{- define "mywhatsapp.podCommon" -}}
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  # The root filesystem is read-only: scratch space for Python and libraries.
  - name: tmp
    emptyDir:
      sizeLimit: {{ .ctx.Values.tmpSizeLimit }}
{{- end }}
